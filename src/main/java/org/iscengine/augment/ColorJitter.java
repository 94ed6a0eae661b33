package org.iscengine.augment;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;

/**
 * torchvision's ColorJitter: brightness, contrast and saturation factors uniform in
 * [max(0, 1 - x), 1 + x], hue shifted by a fraction in [-hue, hue] of the colour circle, the four
 * applied in a random order. 0 disables one.
 */
public record ColorJitter(double brightness, double contrast, double saturation, double hue) implements Transform {
  public ColorJitter {
    Check.range("brightness", 0, brightness, 0, 10);
    Check.range("contrast", 0, contrast, 0, 10);
    Check.range("saturation", 0, saturation, 0, 10);
    Check.range("hue", 0, hue, 0, 0.5);
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3));
    for (int i = 3; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      Integer t = order.get(i);
      order.set(i, order.get(j));
      order.set(j, t);
    }
    // Draw every factor first, in a fixed order, so the seed fixes them whatever the order.
    double b = factor(brightness, rng);
    double c = factor(contrast, rng);
    double s = factor(saturation, rng);
    double h = hue > 0 ? rng.uniform(-hue, hue) : 0;
    Mat current = image;
    for (int op : order) {
      Mat next = switch (op) {
        case 0 -> brightness > 0 ? scaled(current, b, 0) : current;
        case 1 -> contrast > 0 ? withContrast(current, c) : current;
        case 2 -> saturation > 0 ? withSaturation(current, s) : current;
        default -> hue > 0 ? withHue(current, h) : current;
      };
      if (next != current && current != image) {
        current.close();
      }
      current = next;
    }
    return current;
  }

  private static double factor(double amount, Rng rng) {
    return amount > 0 ? rng.uniform(Math.max(0, 1 - amount), 1 + amount) : 1;
  }

  private static Mat scaled(Mat m, double alpha, double beta) {
    Mat out = new Mat();
    m.convertTo(out, CV_8U, alpha, beta);
    return out;
  }

  /** Blend with the mean grey level: m c + mean (1 - c). */
  private static Mat withContrast(Mat m, double c) {
    double mean;
    try (Mat gray = new Mat()) {
      opencv_imgproc.cvtColor(m, gray, opencv_imgproc.COLOR_BGR2GRAY);
      try (org.bytedeco.opencv.opencv_core.Scalar s = opencv_core.mean(gray)) {
        mean = s.get(0);
      }
    }
    return scaled(m, c, mean * (1 - c));
  }

  /** Blend with the grey image: m s + gray (1 - s). */
  private static Mat withSaturation(Mat m, double s) {
    Mat out = new Mat();
    try (Mat gray = new Mat();
        Mat gray3 = new Mat()) {
      opencv_imgproc.cvtColor(m, gray, opencv_imgproc.COLOR_BGR2GRAY);
      opencv_imgproc.cvtColor(gray, gray3, opencv_imgproc.COLOR_GRAY2BGR);
      opencv_core.addWeighted(m, s, gray3, 1 - s, 0, out);
    }
    return out;
  }

  /** Rotates the hue by a fraction of the circle (OpenCV's 8-bit hue runs 0..179), through a lookup table. */
  private static Mat withHue(Mat m, double shift) {
    int delta = (int) Math.round(shift * 180);
    Mat out = new Mat();
    try (Mat hsv = new Mat();
        MatVector channels = new MatVector();
        Mat table = new Mat(1, 256, CV_8U);
        Mat hue = new Mat()) {
      opencv_imgproc.cvtColor(m, hsv, opencv_imgproc.COLOR_BGR2HSV);
      opencv_core.split(hsv, channels);
      try (UByteIndexer t = table.createIndexer()) {
        for (int v = 0; v < 256; v++) {
          t.put(0, v, v < 180 ? Math.floorMod(v + delta, 180) : v);
        }
      }
      opencv_core.LUT(channels.get(0), table, hue);
      channels.put(0, hue);
      try (Mat merged = new Mat()) {
        opencv_core.merge(channels, merged);
        opencv_imgproc.cvtColor(merged, out, opencv_imgproc.COLOR_HSV2BGR);
      }
    }
    return out;
  }
}
