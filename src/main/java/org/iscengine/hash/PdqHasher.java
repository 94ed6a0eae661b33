package org.iscengine.hash;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import java.nio.file.Path;
import java.util.Arrays;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageOps;
import org.iscengine.image.Images;

/**
 * PDQ, the 256-bit perceptual photo hash of Facebook's ThreatExchange (the one hash-sharing
 * programmes exchange), written from its published description:
 *
 * <ol>
 *   <li>luminance {@code Y = 0.299 R + 0.587 G + 0.114 B} of every pixel (a grey image is its own
 *       luminance);
 *   <li>downsampling to 64 x 64 with a Jarosz filter: two passes, each a box filter along every
 *       row and then one along every column, of window {@code ceil(side / 128)} (half the
 *       image-to-64 ratio, so the two passes together make a tent a 64th of the side wide; the
 *       mean of the window's pixels inside the image, an even window reaching one pixel further
 *       right than left), then the pixel at the centre of each of the 64 x 64 cells;
 *   <li>the quality, from the gradients of that 64 x 64 image: over all vertically and
 *       horizontally adjacent pairs, the sum of {@code |trunc((u - v) * 100 / 255)|}, divided by
 *       90 (integer division), at most 100. A flat image has quality 0;
 *   <li>the 2-D DCT-II of the 64 x 64 image (scale {@code sqrt(2/64)} per axis), of which the 16 x
 *       16 block of the lowest frequencies is kept: frequencies 1 to 16 along each axis, the
 *       constant (DC) row and column being left out, as in the reference implementation;
 *   <li>the median of the 256 coefficients (their 128th smallest), and bit {@code 16 u + v} set
 *       when coefficient (u, v) is above it.
 * </ol>
 *
 * Images with a side under 5 pixels get all bits clear and quality 0, as in the reference.
 * Arithmetic is float64 throughout.
 *
 * <p>Input: a file is decoded by {@link Images#read(Path, int)} with its longer side reduced to
 * {@value #MAX_SIDE} pixels (as the reference implementations' file readers do: the Jarosz
 * filter is a box filter, and larger images only cost time; large JPEGs are decoded at reduced
 * scale directly). A {@link Mat} larger than that is reduced the same way (area interpolation),
 * so an image hashes alike from a file or from memory. Stateless and thread-safe.
 */
public final class PdqHasher {
  /** Longer side an image is reduced to before hashing. */
  public static final int MAX_SIDE = 512;

  /** Side of the downsampled image. */
  static final int SIZE = 64;

  /** Side of the kept DCT block. */
  static final int BLOCK = 16;

  /** Jarosz passes (box along rows, then along columns, each time). */
  static final int PASSES = 2;

  /** Images with a shorter side are not hashed (all bits clear, quality 0). */
  static final int MIN_SIDE = 5;

  /** DCT basis: row u (0..15) is frequency u + 1 over x = 0..63, row-major [16][64]. */
  private static final double[] DCT = dctMatrix();

  private PdqHasher() {}

  /** The hash of an image file (decoded with its longer side at most {@value #MAX_SIDE}). */
  public static PdqHash hash(Path file) {
    try (Mat image = Images.read(file, MAX_SIDE)) {
      return hash(image);
    }
  }

  /** The hash of an 8-bit BGR (or single-channel grey) image. The image is not modified. */
  public static PdqHash hash(Mat image) {
    Mat reduced = reduce(image, MAX_SIDE);
    try {
      int rows = reduced.rows();
      int cols = reduced.cols();
      return hashLuma(luma(reduced), rows, cols);
    } finally {
      if (reduced != image) {
        reduced.close();
      }
    }
  }

  /** The hash of a rows x cols luminance image (row-major, values 0..255); luma is overwritten. */
  static PdqHash hashLuma(double[] luma, int rows, int cols) {
    if (rows < MIN_SIDE || cols < MIN_SIDE) {
      return new PdqHash(new long[PdqHash.BITS / 64], 0);
    }
    jarosz(luma, rows, cols, PASSES);
    double[] small = decimate(luma, rows, cols);
    int quality = quality(small);
    return new PdqHash(bits(dct16(small)), quality);
  }

  /** The image, or a new one with its longer side reduced to maxSide (area interpolation). */
  static Mat reduce(Mat image, int maxSide) {
    if (image.empty()) {
      throw new IllegalArgumentException("empty image");
    }
    if (image.type() != CV_8UC3 && image.type() != CV_8UC1) {
      throw new IllegalArgumentException("images must be 8-bit BGR or 8-bit grey, got OpenCV type " + image.type());
    }
    int side = Math.max(image.rows(), image.cols());
    if (side <= maxSide) {
      return image;
    }
    double scale = (double) maxSide / side;
    return ImageOps.resize(image, Math.max(1, (int) Math.round(image.cols() * scale)),
        Math.max(1, (int) Math.round(image.rows() * scale)), opencv_imgproc.INTER_AREA);
  }

  /** Luminance of an 8-bit BGR or grey image, row-major. */
  static double[] luma(Mat image) {
    int rows = image.rows();
    int cols = image.cols();
    int channels = image.channels();
    byte[] px = new byte[rows * cols * channels];
    Mat continuous = image.isContinuous() ? image : image.clone();
    try {
      continuous.data().position(0).get(px);
    } finally {
      if (continuous != image) {
        continuous.close();
      }
    }
    double[] y = new double[rows * cols];
    if (channels == 1) {
      for (int i = 0; i < y.length; i++) {
        y[i] = px[i] & 0xff;
      }
    } else {
      for (int i = 0, p = 0; i < y.length; i++, p += 3) {
        // OpenCV's order is B, G, R
        y[i] = 0.299 * (px[p + 2] & 0xff) + 0.587 * (px[p + 1] & 0xff) + 0.114 * (px[p] & 0xff);
      }
    }
    return y;
  }

  /** The Jarosz window for a side: ceil(side / 128), at least 1. */
  static int window(int side) {
    return Math.max(1, (side + 2 * SIZE - 1) / (2 * SIZE));
  }

  /**
   * The Jarosz filter in place on a rows x cols image: passes x (box along every row with
   * window(cols), then along every column with window(rows)).
   */
  static void jarosz(double[] image, int rows, int cols, int passes) {
    jarosz(image, rows, cols, window(cols), window(rows), passes);
  }

  /** The Jarosz filter with explicit windows along the rows (horizontal) and along the columns. */
  static void jarosz(double[] image, int rows, int cols, int alongRows, int alongColumns, int passes) {
    if (image.length != rows * cols) {
      throw new IllegalArgumentException(rows + " x " + cols + " image in " + image.length + " values");
    }
    double[] prefix = new double[cols + 1];
    double[] columnPrefix = new double[(rows + 1) * cols];
    double[] rowCounts = inverseCounts(cols, alongRows);
    double[] columnCounts = inverseCounts(rows, alongColumns);
    for (int pass = 0; pass < passes; pass++) {
      for (int r = 0; r < rows; r++) {
        box(image, r * cols, cols, alongRows, prefix, rowCounts);
      }
      boxColumns(image, rows, cols, alongColumns, columnPrefix, columnCounts);
    }
  }

  /** 1 / the number of a line's pixels in the window around each of them (multiplying is faster). */
  static double[] inverseCounts(int length, int window) {
    int right = window / 2;
    int left = window - 1 - right;
    double[] inverse = new double[length];
    for (int i = 0; i < length; i++) {
      inverse[i] = 1.0 / (Math.min(length - 1, i + right) - Math.max(0, i - left) + 1);
    }
    return inverse;
  }

  /**
   * {@link #box} along every column at once, row by row (memory in order): the prefix sums of
   * all columns, then each row from two rows of them.
   */
  static void boxColumns(double[] image, int rows, int cols, int window, double[] prefix, double[] inverse) {
    int right = window / 2;
    int left = window - 1 - right;
    Arrays.fill(prefix, 0, cols, 0.0);
    for (int r = 0; r < rows; r++) {
      int from = r * cols;
      int to = from + cols;
      for (int c = 0; c < cols; c++) {
        prefix[to + c] = prefix[from + c] + image[from + c];
      }
    }
    for (int r = 0; r < rows; r++) {
      int lo = Math.max(0, r - left);
      int hi = Math.min(rows - 1, r + right);
      double inv = inverse[r];
      int top = lo * cols;
      int bottom = (hi + 1) * cols;
      int out = r * cols;
      for (int c = 0; c < cols; c++) {
        image[out + c] = (prefix[bottom + c] - prefix[top + c]) * inv;
      }
    }
  }

  /**
   * One box filter in place along a row of the image (length values from offset): value i becomes
   * the mean of values i - left .. i + right that lie on the row, where right = window / 2 and
   * left = window - 1 - right; inverse holds 1 / their count ({@link #inverseCounts}).
   */
  static void box(double[] data, int offset, int length, int window, double[] prefix, double[] inverse) {
    int right = window / 2;
    int left = window - 1 - right;
    prefix[0] = 0;
    for (int i = 0; i < length; i++) {
      prefix[i + 1] = prefix[i] + data[offset + i];
    }
    for (int i = 0; i < length; i++) {
      int lo = Math.max(0, i - left);
      int hi = Math.min(length - 1, i + right);
      data[offset + i] = (prefix[hi + 1] - prefix[lo]) * inverse[i];
    }
  }

  /** The 64 x 64 samples at the centres of a 64 x 64 grid of cells over the image. */
  static double[] decimate(double[] image, int rows, int cols) {
    double[] out = new double[SIZE * SIZE];
    for (int i = 0; i < SIZE; i++) {
      int r = (int) ((2L * i + 1) * rows / (2 * SIZE));  // floor((i + 0.5) * rows / 64)
      for (int j = 0; j < SIZE; j++) {
        int c = (int) ((2L * j + 1) * cols / (2 * SIZE));
        out[i * SIZE + j] = image[r * cols + c];
      }
    }
    return out;
  }

  /** PDQ's quality of a 64 x 64 image: 0 (featureless) to 100. */
  static int quality(double[] image64) {
    long sum = 0;
    for (int i = 0; i < SIZE - 1; i++) {
      for (int j = 0; j < SIZE; j++) {
        sum += Math.abs((int) ((image64[i * SIZE + j] - image64[(i + 1) * SIZE + j]) * 100 / 255));
      }
    }
    for (int i = 0; i < SIZE; i++) {
      for (int j = 0; j < SIZE - 1; j++) {
        sum += Math.abs((int) ((image64[i * SIZE + j] - image64[i * SIZE + j + 1]) * 100 / 255));
      }
    }
    return (int) Math.min(100, sum / 90);
  }

  /**
   * The 16 x 16 DCT block of a 64 x 64 image: element (u, v) (row-major) is frequency u + 1
   * vertically and v + 1 horizontally, {@code D A D^T} with D the [16][64] basis.
   */
  static double[] dct16(double[] image64) {
    double[] t = new double[BLOCK * SIZE];  // D A: [16][64]
    for (int u = 0; u < BLOCK; u++) {
      for (int y = 0; y < SIZE; y++) {
        double d = DCT[u * SIZE + y];
        for (int x = 0; x < SIZE; x++) {
          t[u * SIZE + x] += d * image64[y * SIZE + x];
        }
      }
    }
    double[] b = new double[BLOCK * BLOCK];
    for (int u = 0; u < BLOCK; u++) {
      for (int v = 0; v < BLOCK; v++) {
        double s = 0;
        for (int x = 0; x < SIZE; x++) {
          s += t[u * SIZE + x] * DCT[v * SIZE + x];
        }
        b[u * BLOCK + v] = s;
      }
    }
    return b;
  }

  /** The 256 bits: coefficient k above the median (the 128th smallest of the 256) sets bit k. */
  static long[] bits(double[] block) {
    double[] sorted = block.clone();
    Arrays.sort(sorted);
    double median = sorted[block.length / 2 - 1];
    long[] words = new long[PdqHash.BITS / 64];
    for (int k = 0; k < block.length; k++) {
      if (block[k] > median) {
        words[k >>> 6] |= 1L << (k & 63);
      }
    }
    return words;
  }

  private static double[] dctMatrix() {
    double[] d = new double[BLOCK * SIZE];
    double scale = Math.sqrt(2.0 / SIZE);
    for (int u = 0; u < BLOCK; u++) {
      for (int x = 0; x < SIZE; x++) {
        d[u * SIZE + x] = scale * Math.cos(Math.PI / (2.0 * SIZE) * (u + 1) * (2 * x + 1));
      }
    }
    return d;
  }
}
