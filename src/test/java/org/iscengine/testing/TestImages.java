package org.iscengine.testing;

import static org.bytedeco.opencv.global.opencv_core.CV_32FC3;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import java.util.Random;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/** Synthetic images for tests: smooth structure plus noise, never flat. */
public final class TestImages {
  private TestImages() {}

  /** width x height BGR: gradients, a few discs and per-pixel noise, from a seed. */
  public static Mat natural(long seed, int width, int height) {
    Random r = new Random(seed);
    Mat m = new Mat(height, width, CV_8UC3);
    double[][] discs = new double[4][];
    for (int d = 0; d < discs.length; d++) {
      discs[d] = new double[] {r.nextInt(width), r.nextInt(height), 5 + r.nextInt(Math.max(6, width / 4)), r.nextInt(256),
          r.nextInt(256), r.nextInt(256)};
    }
    try (UByteIndexer px = m.createIndexer()) {
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          double[] v = {255.0 * x / width, 255.0 * y / height, 128 + 100 * Math.sin((x + y) / 17.0)};
          for (double[] d : discs) {
            if ((x - d[0]) * (x - d[0]) + (y - d[1]) * (y - d[1]) < d[2] * d[2]) {
              v = new double[] {d[3], d[4], d[5]};
            }
          }
          for (int c = 0; c < 3; c++) {
            px.put(y, x, c, (int) Math.max(0, Math.min(255, v[c] + r.nextInt(21) - 10)));
          }
        }
      }
    }
    return m;
  }

  /**
   * width x height BGR with no structure shared between seeds (unlike {@link #natural}, whose
   * images all hold the same gradients), and with the spectrum of a photo: octaves of random
   * colour grids (4 cells across, then 8, 16... up to half the image's width), each smoothly
   * interpolated to the image's size, summed with weights falling by 0.7 per octave, so the
   * amplitude of a frequency falls roughly as in natural images. Two seeds give unrelated images.
   */
  public static Mat unrelated(long seed, int width, int height) {
    Random r = new Random(seed);
    double[] sum = new double[width * height * 3];
    double weight = 1;
    for (int cells = 4; cells <= Math.max(4, width / 2); cells *= 2, weight *= 0.7) {
      int gw = cells;
      int gh = Math.max(2, (int) Math.round(cells * (double) height / width));
      try (Mat grid = new Mat(gh, gw, CV_32FC3);
          Mat big = new Mat()) {
        try (FloatIndexer px = grid.createIndexer()) {
          for (int y = 0; y < gh; y++) {
            for (int x = 0; x < gw; x++) {
              for (int c = 0; c < 3; c++) {
                px.put(y, x, c, (float) (2 * r.nextDouble() - 1));
              }
            }
          }
        }
        try (Size size = new Size(width, height)) {
          opencv_imgproc.resize(grid, big, size, 0, 0, opencv_imgproc.INTER_CUBIC);
        }
        try (FloatIndexer px = big.createIndexer()) {
          for (int y = 0, i = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
              for (int c = 0; c < 3; c++, i++) {
                sum[i] += weight * px.get(y, x, c);
              }
            }
          }
        }
      }
    }
    double lo = Double.MAX_VALUE;
    double hi = -Double.MAX_VALUE;
    for (double v : sum) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    Mat m = new Mat(height, width, CV_8UC3);
    try (UByteIndexer px = m.createIndexer()) {
      for (int y = 0, i = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          for (int c = 0; c < 3; c++, i++) {
            px.put(y, x, c, (int) Math.round(10 + 235 * (sum[i] - lo) / (hi - lo)));
          }
        }
      }
    }
    return m;
  }

  /** All bytes of a continuous 8-bit image. */
  public static byte[] bytes(Mat m) {
    Mat c = m.isContinuous() ? m : m.clone();
    byte[] out = new byte[(int) (c.total() * c.channels())];
    c.data().position(0).get(out);
    if (c != m) {
      c.close();
    }
    return out;
  }
}
