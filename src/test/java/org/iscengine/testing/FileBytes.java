package org.iscengine.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Reading and damaging the little-endian fields of a file's bytes, for tests of hostile files. */
public final class FileBytes {
  private FileBytes() {}

  /** A copy with the 8-byte field at offset set. */
  public static byte[] withLong(byte[] bytes, int offset, long value) {
    byte[] copy = bytes.clone();
    ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong(offset, value);
    return copy;
  }

  /** A copy with the 4-byte field at offset set. */
  public static byte[] withInt(byte[] bytes, int offset, int value) {
    byte[] copy = bytes.clone();
    ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, value);
    return copy;
  }

  /** A copy with the byte at offset set. */
  public static byte[] withByte(byte[] bytes, int offset, int value) {
    byte[] copy = bytes.clone();
    copy[offset] = (byte) value;
    return copy;
  }

  /** Writes the first length bytes of file to copy, as a write cut short leaves them; returns copy. */
  public static Path truncatedCopy(Path file, Path copy, long length) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    Files.write(copy, Arrays.copyOf(bytes, (int) length));
    return copy;
  }

  public static long longAt(byte[] bytes, int offset) {
    return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(offset);
  }

  public static int intAt(byte[] bytes, int offset) {
    return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(offset);
  }

  /** Where an ASCII string first stands in the bytes; fails when it does not. */
  public static int indexOf(byte[] bytes, String ascii) {
    byte[] needle = ascii.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i + needle.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    throw new AssertionError(ascii + " not found");
  }
}
