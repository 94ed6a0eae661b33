package org.iscengine.testing;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import java.util.Random;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.opencv_core.Mat;

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
