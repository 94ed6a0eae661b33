package org.iscengine.augment;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;

/** Small image operations shared by the transforms. */
final class Ops {
  private Ops() {}

  static Mat filled(int width, int height, double b, double g, double r) {
    try (Scalar color = new Scalar(b, g, r, 0)) {
      return new Mat(Math.max(1, height), Math.max(1, width), CV_8UC3, color);
    }
  }

  static int clamp(int v, int lo, int hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  /** A random opaque colour, as B, G, R. */
  static double[] randomColor(Rng rng) {
    return new double[] {rng.nextInt(256), rng.nextInt(256), rng.nextInt(256)};
  }

  /**
   * Paints colour through an 8-bit coverage mask at (x, y) of dst, in place:
   * dst = dst (1 - a) + colour a, with a = mask / 255 * opacity. Parts outside dst are skipped.
   */
  static void paint(Mat dst, Mat mask, int x, int y, double[] bgr, double opacity) {
    try (UByteIndexer d = dst.createIndexer();
        UByteIndexer m = mask.createIndexer()) {
      int rows = mask.rows();
      int cols = mask.cols();
      for (int j = Math.max(0, -y); j < rows && y + j < dst.rows(); j++) {
        for (int i = Math.max(0, -x); i < cols && x + i < dst.cols(); i++) {
          double a = m.get(j, i) / 255.0 * opacity;
          if (a <= 0) {
            continue;
          }
          for (int c = 0; c < 3; c++) {
            double v = d.get(y + j, x + i, c) * (1 - a) + bgr[c] * a;
            d.put(y + j, x + i, c, (int) Math.round(v));
          }
        }
      }
    }
  }

  /**
   * Pastes src (BGR, or BGRA with its own alpha) at (x, y) of dst with an overall opacity, in
   * place. Parts outside dst are skipped.
   */
  static void paste(Mat dst, Mat src, int x, int y, double opacity) {
    int channels = src.channels();
    try (UByteIndexer d = dst.createIndexer();
        UByteIndexer s = src.createIndexer()) {
      for (int j = Math.max(0, -y); j < src.rows() && y + j < dst.rows(); j++) {
        for (int i = Math.max(0, -x); i < src.cols() && x + i < dst.cols(); i++) {
          double a = opacity * (channels == 4 ? s.get(j, i, 3) / 255.0 : 1.0);
          if (a <= 0) {
            continue;
          }
          for (int c = 0; c < 3; c++) {
            double v = d.get(y + j, x + i, c) * (1 - a) + s.get(j, i, c) * a;
            d.put(y + j, x + i, c, (int) Math.round(v));
          }
        }
      }
    }
  }
}
