package org.iscengine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.iscengine.errors.IscException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BinaryFormatTest {
  @TempDir Path dir;

  private final BinaryFormat format = new BinaryFormat("test-values", 2);

  private static long[] values(Random random) {
    long[] v = new long[1 + random.nextInt(50)];
    for (int i = 0; i < v.length; i++) {
      v[i] = random.nextLong();
    }
    return v;
  }

  private void write(Path file, long[] values) {
    format.write(file, out -> {
      out.writeInt(values.length);
      for (long v : values) {
        out.writeLong(v);
      }
    });
  }

  private long[] read(Path file) {
    return format.read(file, in -> {
      int n = in.data().readInt();
      in.require(8L * n, "the values");
      long[] v = new long[n];
      for (int i = 0; i < n; i++) {
        v[i] = in.data().readLong();
      }
      return v;
    });
  }

  private void assertRefused(Path file, IscException.Kind kind, String problem) {
    var e = assertThrows(IscException.class, () -> read(file));
    assertEquals(kind, e.kind());
    assertTrue(e.getMessage().contains(file.getFileName().toString()) && e.getMessage().contains(problem),
        e.getMessage());
  }

  @Test
  void readsBackWhatItWroteWithItsVersion() {
    long[] values = values(new Random(1));
    Path file = dir.resolve("v.bin");
    write(file, values);
    assertArrayEquals(values, read(file));
    assertEquals(2, (int) format.<Integer>read(file, in -> {
      in.data().skipNBytes(in.remaining());
      return in.version();
    }));
    assertTrue(format.matches(file) && BinaryFormat.isFramed(file));
    assertFalse(new BinaryFormat("other", 1).matches(file));
  }

  /** The bytes of a well-formed file of random values from the seed. */
  private byte[] writtenBytes(long seed) throws IOException {
    Path file = dir.resolve("v.bin");
    write(file, values(new Random(seed)));
    return Files.readAllBytes(file);
  }

  @Test
  void aBitFlipAnywhereIsDetected() throws Exception {
    byte[] bytes = writtenBytes(2);
    for (int i = 0; i < bytes.length; i++) {
      for (int bit = 0; bit < 8; bit += 3) {
        byte[] flipped = bytes.clone();
        flipped[i] ^= (byte) (1 << bit);
        Path damaged = dir.resolve("flipped.bin");
        Files.write(damaged, flipped);
        var e = assertThrows(IscException.class, () -> read(damaged), "flip at byte " + i);
        assertEquals(IscException.Kind.CORRUPT_DATA, e.kind());
        assertTrue(e.getMessage().contains("flipped.bin"), e.getMessage());
      }
    }
  }

  @Test
  void truncationIsRefusedWithTheFileName() throws Exception {
    byte[] bytes = writtenBytes(3);
    for (int length = 0; length < bytes.length; length++) {
      Path cut = dir.resolve("cut.bin");
      Files.write(cut, Arrays.copyOf(bytes, length));
      assertRefused(cut, IscException.Kind.CORRUPT_DATA, length == 0 ? "not a file in the test-values format" : "");
    }
    Path cut = dir.resolve("cut.bin");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length - 3));
    assertRefused(cut, IscException.Kind.CORRUPT_DATA, "truncated");
  }

  @Test
  void aLengthClaimingMoreThanTheFileHoldsIsRefusedBeforeAllocating() {
    Path file = dir.resolve("v.bin");
    format.write(file, out -> out.writeInt(Integer.MAX_VALUE));
    assertRefused(file, IscException.Kind.CORRUPT_DATA, "claims");
  }

  @Test
  void aNewerVersionIsRefusedClearly() {
    Path file = dir.resolve("v.bin");
    new BinaryFormat("test-values", 3).write(file, out -> out.writeInt(0));
    assertRefused(file, IscException.Kind.UNSUPPORTED, "v3");
  }
}
