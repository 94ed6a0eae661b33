package org.iscengine.search;

import java.util.concurrent.locks.Lock;
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
    return holding(lock.readLock(), body);
  }

  public <T> T write(Supplier<T> body) {
    return holding(lock.writeLock(), body);
  }

  private <T> T holding(Lock held, Supplier<T> body) {
    held.lock();
    try {
      requireOpen();
      return body.get();
    } finally {
      held.unlock();
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
