package org.iscengine.augment;

import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/** Gaussian blur with sigma uniform in [low, high] pixels. */
public record Blur(double low, double high) implements UniformTransform {
  public Blur { Check.range("sigma", low, high, 0.01, 100); }

  @Override
  public Mat apply(Mat image, double sigma, Rng rng, Resources res) {
    int k = 2 * (int) Math.ceil(3 * sigma) + 1;
    Mat out = new Mat();
    try (Size kernel = new Size(k, k)) {
      opencv_imgproc.GaussianBlur(image, out, kernel, sigma, sigma, opencv_core.BORDER_REFLECT_101,
          opencv_core.ALGO_HINT_ACCURATE);
    }
    return out;
  }
}
