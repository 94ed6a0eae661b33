package org.iscengine.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/** Stores whose log writes fail, from the moment a test says so, as a full or broken disk would. */
public final class FailingDisk {
  private FailingDisk() {}

  /** Opens a store whose every log write and sync fails with the message {@code fault} holds, once it holds one. */
  public static ReferenceStore open(Path dir, int dimension, ReferenceStore.Options options,
      AtomicReference<String> fault) {
    TracedChannel.Listener disk = new TracedChannel.Listener() {
      @Override
      public void write(Path file, long position, ByteBuffer data) throws IOException {
        fail();
      }

      @Override
      public void force(Path file) throws IOException {
        fail();
      }

      private void fail() throws IOException {
        String message = fault.get();
        if (message != null) {
          throw new IOException(message);
        }
      }
    };
    return ReferenceStore.open(dir, dimension, options, new StoreHooks() {
      @Override
      public FileChannel channel(Path file, FileChannel channel) {
        return new TracedChannel(file, channel, disk);
      }
    });
  }
}
