package org.iscengine.augment;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC4;

import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/** Images drawn from a seed: stand-ins when no photos or emoji font are at hand. */
public final class Generated {
  private Generated() {}

  /** A smooth two-colour gradient with a few soft shapes. */
  public static Mat gradient(Rng rng, int width, int height) {
    double[] a = Ops.randomColor(rng);
    double[] b = Ops.randomColor(rng);
    double angle = rng.uniform(0, Math.PI);
    double cx = Math.cos(angle);
    double sy = Math.sin(angle);
    Mat out = new Mat(height, width, CV_8UC3);
    try (UByteIndexer px = out.createIndexer()) {
      double span = Math.abs(cx) * width + Math.abs(sy) * height;
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          double t = ((cx >= 0 ? x : width - x) * Math.abs(cx) + (sy >= 0 ? y : height - y) * Math.abs(sy)) / span;
          for (int c = 0; c < 3; c++) {
            px.put(y, x, c, (int) Math.round(a[c] * (1 - t) + b[c] * t));
          }
        }
      }
    }
    int shapes = rng.between(2, 6);
    for (int s = 0; s < shapes; s++) {
      double[] c = Ops.randomColor(rng);
      try (Point center = new Point(rng.nextInt(width), rng.nextInt(height));
          Scalar color = new Scalar(c[0], c[1], c[2], 0)) {
        opencv_imgproc.circle(out, center, rng.between(width / 16 + 1, width / 4 + 2), color, -1,
            opencv_imgproc.LINE_AA, 0);
      }
    }
    return out;
  }

  /** An emoji-like icon (a face, a star or a heart) on a transparent 4-channel canvas. */
  public static Mat icon(Rng rng, int size) {
    Mat out = new Mat(size, size, CV_8UC4, new Scalar(0, 0, 0, 0));
    double[] c = Ops.randomColor(rng);
    int kind = rng.nextInt(3);
    int r = size / 2 - 2;
    try (Point center = new Point(size / 2, size / 2);
        Scalar fill = new Scalar(c[0], c[1], c[2], 255);
        Scalar dark = new Scalar(30, 30, 30, 255)) {
      if (kind == 0) {
        opencv_imgproc.circle(out, center, r, fill, -1, opencv_imgproc.LINE_AA, 0);
        try (Point le = new Point(size / 3, size * 2 / 5);
            Point re = new Point(size * 2 / 3, size * 2 / 5);
            Size mouth = new Size(size / 4, size / 6)) {
          opencv_imgproc.circle(out, le, size / 14 + 1, dark, -1, opencv_imgproc.LINE_AA, 0);
          opencv_imgproc.circle(out, re, size / 14 + 1, dark, -1, opencv_imgproc.LINE_AA, 0);
          try (Point m = new Point(size / 2, size * 3 / 5)) {
            opencv_imgproc.ellipse(out, m, mouth, 0, 20, 160, dark, Math.max(2, size / 24), opencv_imgproc.LINE_AA, 0);
          }
        }
      } else {
        int points = kind == 1 ? 10 : 40;
        int[] xy = new int[2 * points];
        for (int k = 0; k < points; k++) {
          double t = 2 * Math.PI * k / points - Math.PI / 2;
          double rad;
          double x;
          double y;
          if (kind == 1) {  // star
            rad = k % 2 == 0 ? r : r * 0.45;
            x = Math.cos(t) * rad;
            y = Math.sin(t) * rad;
          } else {  // heart
            double s = t + Math.PI / 2;
            x = 16 * Math.pow(Math.sin(s), 3) * r / 17;
            y = -(13 * Math.cos(s) - 5 * Math.cos(2 * s) - 2 * Math.cos(3 * s) - Math.cos(4 * s)) * r / 17;
          }
          xy[2 * k] = (int) Math.round(size / 2.0 + x);
          xy[2 * k + 1] = (int) Math.round(size / 2.0 + y);
        }
        try (Mat poly = new Mat(points, 1, org.bytedeco.opencv.global.opencv_core.CV_32SC2)) {
          try (org.bytedeco.javacpp.indexer.IntIndexer idx = poly.createIndexer()) {
            for (int k = 0; k < points; k++) {
              idx.put(k, 0, 0, xy[2 * k]);
              idx.put(k, 0, 1, xy[2 * k + 1]);
            }
          }
          opencv_imgproc.fillPoly(out, new org.bytedeco.opencv.opencv_core.MatVector(poly), fill);
        }
      }
    }
    return out;
  }
}
