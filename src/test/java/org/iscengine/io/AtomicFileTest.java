package org.iscengine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
  @TempDir Path dir;

  @Test
  void writesWholeFilesReadableByOthersAndKeepsPermissionsOfAReplacedOne() throws Exception {
    Path file = dir.resolve("sub/a.bin");
    AtomicFile.write(file, tmp -> Files.write(tmp, new byte[] {1, 2, 3}));
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw----"));
    AtomicFile.write(file, tmp -> Files.write(tmp, new byte[] {4, 5}));
    assertArrayEquals(new byte[] {4, 5}, Files.readAllBytes(file));
    assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
  }

  @Test
  void aFailedWriteLeavesTheOldContentAndNoTemporary() throws Exception {
    Path file = dir.resolve("keep.txt");
    Files.writeString(file, "old");
    var e = assertThrows(UncheckedIOException.class, () -> AtomicFile.write(file, tmp -> {
      Files.writeString(tmp, "half");
      throw new IOException("disk full");
    }));
    assertTrue(e.getMessage().contains("keep.txt") && e.getMessage().contains("disk full"), e.getMessage());
    assertEquals("old", Files.readString(file));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(1, files.count(), "the temporary file is removed");
    }
  }
}
