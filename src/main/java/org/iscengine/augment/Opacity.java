package org.iscengine.augment;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;

import org.bytedeco.opencv.opencv_core.Mat;

/** AugLy's opacity, flattened onto white: level in [low, high], 1 unchanged, 0 white. */
public record Opacity(double low, double high) implements UniformTransform {
  public Opacity { Check.range("level", low, high, 0, 1); }

  @Override
  public Mat apply(Mat image, double level, Rng rng, Resources res) {
    Mat out = new Mat();
    image.convertTo(out, CV_8U, level, 255 * (1 - level));
    return out;
  }
}
