package org.iscengine.hash;

import java.util.Arrays;

/**
 * A PDQ hash: 256 bits and the quality (0-100) of the image it came from. Bit k is set when
 * DCT coefficient k (row k / 16, column k % 16 of the 16 x 16 block) is above the block's median.
 *
 * <p>The text form is PDQ's usual one: 64 lower-case hex digits, the 256-bit number whose bit k is
 * bit k of the hash, most significant digit first (so bits 255..252 come first, bits 3..0 last).
 * Immutable and thread-safe.
 */
public final class PdqHash {
  /** Bits in a hash. */
  public static final int BITS = 256;

  /** Hex digits in the text form. */
  public static final int HEX_DIGITS = BITS / 4;

  private static final int WORDS = BITS / 64;

  /** words[0] holds bits 0..63 (bit k at position k % 64 of word k / 64). */
  private final long[] words;
  private final int quality;

  /**
   * @param words the 256 bits, word 0 holding bits 0..63 (copied)
   * @param quality 0 (featureless) to 100
   */
  public PdqHash(long[] words, int quality) {
    if (words.length != WORDS) {
      throw new IllegalArgumentException("a PDQ hash has " + WORDS + " 64-bit words, got " + words.length);
    }
    if (quality < 0 || quality > 100) {
      throw new IllegalArgumentException("PDQ quality must be in [0, 100], got " + quality);
    }
    this.words = words.clone();
    this.quality = quality;
  }

  /** A hash from its 64 hex digits (either case); the text form carries no quality, so it is given. */
  public static PdqHash fromHex(String hex, int quality) {
    if (hex.length() != HEX_DIGITS) {
      throw new IllegalArgumentException("a PDQ hash is " + HEX_DIGITS + " hex digits, got " + hex.length() + ": '"
          + abbreviate(hex) + "'");
    }
    long[] words = new long[WORDS];
    for (int i = 0; i < HEX_DIGITS; i++) {
      int digit = Character.digit(hex.charAt(i), 16);
      if (digit < 0) {
        throw new IllegalArgumentException("not a hex digit at position " + i + " of PDQ hash '" + abbreviate(hex)
            + "': '" + hex.charAt(i) + "'");
      }
      int lowBit = BITS - 4 * (i + 1);  // the first digit holds bits 255..252
      words[lowBit / 64] |= (long) digit << (lowBit % 64);
    }
    return new PdqHash(words, quality);
  }

  /** The 64 lower-case hex digits. */
  public String toHex() {
    StringBuilder s = new StringBuilder(HEX_DIGITS);
    for (int w = WORDS - 1; w >= 0; w--) {
      String digits = Long.toHexString(words[w]);
      s.append("0".repeat(16 - digits.length())).append(digits);
    }
    return s.toString();
  }

  /** The bits as 4 words, word 0 holding bits 0..63 (a copy). */
  public long[] words() {
    return words.clone();
  }

  public int quality() {
    return quality;
  }

  /** Bit k, 0 <= k < 256. */
  public boolean bit(int k) {
    if (k < 0 || k >= BITS) {
      throw new IndexOutOfBoundsException("bit " + k + " of a " + BITS + "-bit hash");
    }
    return (words[k >>> 6] >>> (k & 63) & 1L) != 0;
  }

  /** Number of set bits. */
  public int bitCount() {
    int n = 0;
    for (long w : words) {
      n += Long.bitCount(w);
    }
    return n;
  }

  /** Hamming distance, 0 (same bits) to 256. */
  public int distance(PdqHash other) {
    int d = 0;
    for (int w = 0; w < WORDS; w++) {
      d += Long.bitCount(words[w] ^ other.words[w]);
    }
    return d;
  }

  /**
   * The bits as a 256-d vector of +1 (set) and -1 (clear): the inner product of two such vectors
   * is 256 - 2 x their Hamming distance, exactly, in float32.
   */
  public float[] signs() {
    float[] v = new float[BITS];
    for (int k = 0; k < BITS; k++) {
      v[k] = bit(k) ? 1f : -1f;
    }
    return v;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PdqHash h && h.quality == quality && Arrays.equals(h.words, words);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(words) + quality;
  }

  @Override
  public String toString() {
    return toHex() + " (quality " + quality + ")";
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
