package org.iscengine.augment;

import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

/** Mirror image: left-right when horizontal, else top-bottom. */
public record Flip(boolean horizontal) implements Transform {
  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    Mat out = new Mat();
    opencv_core.flip(image, out, horizontal ? 1 : 0);
    return out;
  }
}
