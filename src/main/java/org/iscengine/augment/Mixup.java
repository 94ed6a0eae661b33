package org.iscengine.augment;

import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageOps;

/** Mixup (SSCD): image * lambda + other * (1 - lambda), lambda in [low, high]. */
public record Mixup(double low, double high) implements UniformTransform {
  public Mixup { Check.range("lambda", low, high, 0, 1); }

  @Override
  public Mat apply(Mat image, double lambda, Rng rng, Resources res) {
    Mat out = new Mat();
    try (Mat other = res.others().draw(rng);
        Mat fitted = ImageOps.resize(other, image.cols(), image.rows())) {
      opencv_core.addWeighted(image, lambda, fitted, 1 - lambda, 0, out);
    }
    return out;
  }
}
