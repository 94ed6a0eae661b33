package org.iscengine.augment;

import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;

import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;

/** AugLy's pad: a border of a random colour, each side a fraction in [min, max] of the width or height. */
public record Pad(double minFraction, double maxFraction) implements Transform {
  public Pad {
    Check.range("fraction", minFraction, maxFraction, 0, 2);
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    int horizontal = (int) Math.round(image.cols() * rng.uniform(minFraction, maxFraction));
    int vertical = (int) Math.round(image.rows() * rng.uniform(minFraction, maxFraction));
    double[] c = Ops.randomColor(rng);
    Mat out = new Mat();
    try (Scalar color = new Scalar(c[0], c[1], c[2], 0)) {
      opencv_core.copyMakeBorder(image, out, vertical, vertical, horizontal, horizontal, BORDER_CONSTANT, color);
    }
    return out;
  }
}
