package org.iscengine.io;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.iscengine.errors.IscException;

/**
 * Checks of the sizes a file declares, made before anything is allocated for them: products
 * that cannot overflow, byte budgets, and reads that stop at a limit instead of trusting a length
 * or a zip entry's inflated size.
 */
public final class InputLimits {
  private InputLimits() {}

  /**
   * The number of elements of a shape a file declares: CORRUPT_DATA when a dimension is negative or
   * the product overflows a long.
   */
  public static long elements(long[] shape, String what) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IscException(IscException.Kind.CORRUPT_DATA, what + ": negative dimension in shape "
            + Arrays.toString(shape));
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new IscException(IscException.Kind.CORRUPT_DATA, what + ": shape " + Arrays.toString(shape)
            + " has more elements than a 64-bit count holds");
      }
    }
    return n;
  }

  /** elements x elementBytes, CORRUPT_DATA when that overflows a long. */
  public static long bytes(long elements, long elementBytes, String what) {
    try {
      return Math.multiplyExact(elements, elementBytes);
    } catch (ArithmeticException e) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, what + ": " + elements + " elements of "
          + elementBytes + " bytes overflow a 64-bit size");
    }
  }

  /** OUT_OF_RESOURCES unless amount <= limit; what names the amount and its unit. */
  public static void requireAtMost(long amount, long limit, String what) {
    if (amount > limit) {
      throw new IscException(IscException.Kind.OUT_OF_RESOURCES, what + ": " + amount + ", more than the " + limit
          + " allowed");
    }
  }

  /** Everything left in the stream, at most limit bytes: OUT_OF_RESOURCES as soon as there are more. */
  public static byte[] readAtMost(InputStream in, int limit, String what) throws IOException {
    byte[] bytes = in.readNBytes(limit);  // grows with what arrives, not with the limit
    if (in.read() >= 0) {
      throw new IscException(IscException.Kind.OUT_OF_RESOURCES, what + ": more than the " + limit
          + " bytes allowed");
    }
    return bytes;
  }

  /**
   * A zip entry's uncompressed bytes. Its declared size is checked against limit before reading,
   * and the read stops at that size: an entry that inflates to more than it declares (a zip bomb)
   * or to less (truncated) is CORRUPT_DATA.
   */
  public static byte[] readZipEntry(ZipFile zip, ZipEntry entry, int limit, String what) throws IOException {
    long declared = entry.getSize();
    if (declared > limit) {
      throw new IscException(IscException.Kind.OUT_OF_RESOURCES, what + ": declares " + declared
          + " bytes uncompressed, more than the " + limit + " allowed");
    }
    try (InputStream in = zip.getInputStream(entry)) {
      if (declared < 0) {
        return readAtMost(in, limit, what);
      }
      byte[] bytes = in.readNBytes((int) declared);
      if (bytes.length < declared) {
        throw new IscException(IscException.Kind.CORRUPT_DATA, what + ": " + bytes.length + " bytes, "
            + declared + " declared (truncated?)");
      }
      if (in.read() >= 0) {
        throw new IscException(IscException.Kind.CORRUPT_DATA, what + ": inflates to more than the " + declared
            + " bytes it declares");
      }
      return bytes;
    }
  }
}
