package org.iscengine.store;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Run in a child JVM: prints "held" when another process holds the lock on the file, else "free". */
public final class LockProbe {
  private LockProbe() {}

  public static void main(String[] args) throws Exception {
    try (FileChannel c = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE)) {
      FileLock lock = c.tryLock();
      System.out.println(lock == null ? "held" : "free");
      if (lock != null) {
        lock.release();
      }
    }
  }
}
