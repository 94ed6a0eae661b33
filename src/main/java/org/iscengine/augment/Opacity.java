package org.iscengine.augment;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;

import org.bytedeco.opencv.opencv_core.Mat;

/** AugLy's opacity, flattened onto white: level in [minLevel, maxLevel], 1 unchanged, 0 white. */
public record Opacity(double minLevel, double maxLevel) implements Transform {
  public Opacity {
    Check.range("level", minLevel, maxLevel, 0, 1);
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    double level = rng.uniform(minLevel, maxLevel);
    Mat out = new Mat();
    image.convertTo(out, CV_8U, level, 255 * (1 - level));
    return out;
  }
}
