package org.iscengine.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Points where the store's disk work can be interposed on or watched: a disk that fails, a slow
 * snapshot, the clock of the snapshot retries, the log records replayed at open. The store runs with {@link #NONE}; tests pass their own.
 */
interface StoreHooks {
  StoreHooks NONE = new StoreHooks() {};

  /**
   * Every channel the store opens to write a log (the log itself, a new or rewritten one) passes
   * through here: a test returns a channel that records or fails its writes, syncs and cuts.
   */
  default FileChannel channel(Path file, FileChannel channel) throws IOException {
    return channel;
  }

  /** Before each append to the log. */
  default void beforeLogWrite() throws IOException {}

  /** After a change is in the log, before it reaches the index. */
  default void afterLogWrite() {}

  /** Before the files of a snapshot are written. */
  default void beforeSnapshotWrite() throws IOException {}

  /** After each file of a snapshot is written, before the snapshot is published. */
  default void snapshotFileWritten(Path file) throws IOException {}

  /** Once the store is open: how many log records it replayed after the snapshot it loaded (all of them without one). */
  default void replayed(long records) {}

  /** The clock that spaces the retries of a failed background snapshot. */
  default long nanoTime() {
    return System.nanoTime();
  }
}
