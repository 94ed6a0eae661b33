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
import java.util.List;
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

  /** Thrown at a step to stop a publish as a crash would: no clean-up runs. */
  static final class Crash extends Error {
    Crash() {
      super("simulated crash");
    }
  }

  @Test
  void aCrashAtAnyStepLeavesTheOldFileWhole() throws Exception {
    Path file = dir.resolve("data.bin");
    Files.write(file, new byte[] {1, 2, 3});
    for (AtomicFile.Step step : new AtomicFile.Step[] {AtomicFile.Step.WRITTEN, AtomicFile.Step.SYNCED}) {
      assertThrows(Crash.class, () -> AtomicFile.write(file, tmp -> Files.write(tmp, new byte[] {9, 9}),
          reached -> {
            if (reached == step) {
              throw new Crash();
            }
          }));
      assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file), "crash at " + step);
    }
    AtomicFile.write(file, tmp -> Files.write(tmp, new byte[] {7}));
    assertArrayEquals(new byte[] {7}, Files.readAllBytes(file));
  }

  @Test
  void theTemporaryFilesOfCrashedWritesAreRemovedAndNothingElse() throws Exception {
    Path file = dir.resolve("data.bin");
    Path other = dir.resolve("other.bin");
    Files.write(file, new byte[] {1, 2, 3});
    Files.write(other, new byte[] {4});
    for (String target : new String[] {"data.bin", "other.bin"}) {
      assertThrows(Crash.class, () -> AtomicFile.write(dir.resolve(target), tmp -> Files.write(tmp, new byte[] {9}),
          reached -> {
            throw new Crash();
          }));
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(4, files.count(), "each crash left its temporary file");
    }
    AtomicFile.removeLeftovers(file);
    try (Stream<Path> files = Files.list(dir)) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      assertEquals(3, names.size(), names.toString());
      assertTrue(names.contains("data.bin") && names.contains("other.bin")
          && names.stream().anyMatch(n -> n.startsWith(".other.bin.")), names.toString());
    }
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file));
  }
}
