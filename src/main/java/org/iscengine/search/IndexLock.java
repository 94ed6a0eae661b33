package org.iscengine.search;

import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The concurrency rule of the indexes (and of the reference store around one): searches share the
 * index, changes and closing have it to themselves, and nothing runs on a closed index.
 */
public final class IndexLock {
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final String what;
  private boolean closed;

  public IndexLock(String what) {
    this.what = what;
  }

  public <T> T read(Supplier<T> body) {
    lock.readLock().lock();
    try {
      requireOpen();
      return body.get();
    } finally {
      lock.readLock().unlock();
    }
  }

  public <T> T write(Supplier<T> body) {
    lock.writeLock().lock();
    try {
      requireOpen();
      return body.get();
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Runs release once, after the running searches and changes; later calls do nothing. */
  public void close(Runnable release) {
    lock.writeLock().lock();
    try {
      if (!closed) {
        closed = true;
        release.run();
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("the " + what + " is closed");
    }
  }
}
