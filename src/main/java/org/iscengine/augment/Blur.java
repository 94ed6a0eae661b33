package org.iscengine.augment;

import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/** Gaussian blur with sigma uniform in [minSigma, maxSigma] pixels. */
public record Blur(double minSigma, double maxSigma) implements Transform {
  public Blur {
    Check.range("sigma", minSigma, maxSigma, 0.01, 100);
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    double sigma = rng.uniform(minSigma, maxSigma);
    int k = 2 * (int) Math.ceil(3 * sigma) + 1;
    Mat out = new Mat();
    try (Size kernel = new Size(k, k)) {
      opencv_imgproc.GaussianBlur(image, out, kernel, sigma, sigma, opencv_core.BORDER_REFLECT_101,
          opencv_core.ALGO_HINT_ACCURATE);
    }
    return out;
  }
}
