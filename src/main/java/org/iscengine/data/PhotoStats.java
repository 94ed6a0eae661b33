package org.iscengine.data;

import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
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
 */
public record PhotoStats(long hash, double contrast, double dominantShare) {
  public static PhotoStats of(Mat image) {
    try (Mat gray = new Mat()) {
      if (image.channels() == 1) {
        image.copyTo(gray);
      } else {
        opencv_imgproc.cvtColor(image, gray, opencv_imgproc.COLOR_BGR2GRAY);
      }
      return new PhotoStats(dHash(gray), contrast(gray), dominantShare(gray));
    }
  }

  /** Hamming distance of two hashes. */
  public static int distance(long a, long b) {
    return Long.bitCount(a ^ b);
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
