package org.iscengine.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** fsync of files and folders: a rename or a new file is durable only once its folder is synced. */
final class Durability {
  private Durability() {}

  static void syncFile(Path file) throws IOException {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
      c.force(true);
    }
  }

  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
      c.force(true);
    } catch (IOException e) {
      // Some file systems cannot open folders for syncing; the rename is still atomic there.
      if (!e.getMessage().contains("Is a directory")) {
        throw e;
      }
    }
  }
}
