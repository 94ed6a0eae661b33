package org.iscengine.data;

import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * What the photo collection measures of an image, on its grey levels.
 *
 * @param hash the difference hash (dHash): grey 9 x 8 thumbnail, one bit per horizontal step
 *     (brighter or not). Resized, recompressed or slightly recoloured copies of an image land
 *     within a few bits of each other; different images about 32 bits apart.
 * @param contrast standard deviation of the grey levels: near 0 for blank images.
 * @param dominantShare share of the pixels taken by the four most frequent grey levels: high for
 *     screenshots, diagrams and plots (a few flat colours), low for photographs.
 * @param views difference hashes of the histogram-equalised grey image (so that brightness,
 *     contrast and tone-curve changes cancel out), of the whole image and of {@link #VIEW_SCALES}
 *     crops at the centre and the four corners: a copy cropped by up to a fifth of its side (the
 *     scales are close together because a 64-bit hash changes quickly with the scale)
 *     lands near one of them.
 */
public record PhotoStats(long hash, double contrast, double dominantShare, long[] views) {
  /** Linear sizes of the cropped views, as a share of the image's sides. */
  static final double[] VIEW_SCALES = {0.95, 0.9, 0.85, 0.8};

  /** Two images whose hashes are this close are the same photo (resized, recompressed). */
  public static final int DUPLICATE_BITS = 6;

  /**
   * Two images with an equalised view this close are a crop or a recolouring of each other.
   * Stricter than {@link #DUPLICATE_BITS} because each pair of images gets many comparisons.
   */
  public static final int NEAR_COPY_BITS = 5;

  public static PhotoStats of(Mat image) {
    try (Mat gray = new Mat();
        Mat equalised = new Mat()) {
      if (image.channels() == 1) {
        image.copyTo(gray);
      } else {
        opencv_imgproc.cvtColor(image, gray, opencv_imgproc.COLOR_BGR2GRAY);
      }
      opencv_imgproc.equalizeHist(gray, equalised);
      return new PhotoStats(dHash(gray), contrast(gray), dominantShare(gray), views(equalised));
    }
  }

  /** Hamming distance of two hashes. */
  public static int distance(long a, long b) {
    return Long.bitCount(a ^ b);
  }

  /**
   * How {@code b} copies {@code a}, or null when it does not: the same photo resized or
   * recompressed, its negative, or a crop or recolouring of it (one image's whole view near one
   * of the other's cropped views, either way round).
   */
  public static String copyKind(PhotoStats a, PhotoStats b) {
    if (distance(a.hash, b.hash) <= DUPLICATE_BITS) {
      return "duplicate";
    }
    if (distance(a.hash, ~b.hash) <= DUPLICATE_BITS) {
      return "inverted copy";
    }
    long wholeA = a.views[0];
    long wholeB = b.views[0];
    for (int k = 0; k < a.views.length; k++) {
      if (distance(a.views[k], wholeB) <= NEAR_COPY_BITS || distance(wholeA, b.views[k]) <= NEAR_COPY_BITS) {
        return "near copy (crop or recolouring)";
      }
    }
    return null;
  }

  private static long[] views(Mat gray) {
    int w = gray.cols();
    int h = gray.rows();
    long[] views = new long[1 + 5 * VIEW_SCALES.length];
    views[0] = dHash(gray);
    int k = 1;
    for (double s : VIEW_SCALES) {
      int cw = Math.max(1, (int) Math.round(w * s));
      int ch = Math.max(1, (int) Math.round(h * s));
      int[][] corners = {{(w - cw) / 2, (h - ch) / 2}, {0, 0}, {w - cw, 0}, {0, h - ch}, {w - cw, h - ch}};
      for (int[] c : corners) {
        try (Rect r = new Rect(c[0], c[1], cw, ch);
            Mat view = new Mat(gray, r)) {
          views[k++] = dHash(view);
        }
      }
    }
    return views;
  }

  private static long dHash(Mat gray) {
    try (Mat small = new Mat();
        Size size = new Size(9, 8)) {
      opencv_imgproc.resize(gray, small, size, 0, 0, opencv_imgproc.INTER_AREA);
      long bits = 0;
      try (UByteIndexer px = small.createIndexer()) {
        for (int y = 0; y < 8; y++) {
          for (int x = 0; x < 8; x++) {
            bits = bits << 1 | (px.get(y, x + 1) > px.get(y, x) ? 1 : 0);
          }
        }
      }
      return bits;
    }
  }

  private static double contrast(Mat gray) {
    try (Mat mean = new Mat();
        Mat stddev = new Mat()) {
      opencv_core.meanStdDev(gray, mean, stddev);
      try (DoubleIndexer s = stddev.createIndexer()) {
        return s.get(0);
      }
    }
  }

  private static double dominantShare(Mat gray) {
    long[] histogram = new long[256];
    try (UByteIndexer px = gray.createIndexer()) {
      for (int y = 0; y < gray.rows(); y++) {
        for (int x = 0; x < gray.cols(); x++) {
          histogram[px.get(y, x)]++;
        }
      }
    }
    java.util.Arrays.sort(histogram);
    long top = histogram[255] + histogram[254] + histogram[253] + histogram[252];
    return (double) top / Math.max(1L, (long) gray.rows() * gray.cols());
  }
}
