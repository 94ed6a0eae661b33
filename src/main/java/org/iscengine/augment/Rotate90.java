package org.iscengine.augment;

import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

/** Rotation by 90, 180 or 270 degrees, each as likely (SSCD). */
public record Rotate90() implements Transform {
  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    int code = switch (rng.nextInt(3)) {
      case 0 -> opencv_core.ROTATE_90_CLOCKWISE;
      case 1 -> opencv_core.ROTATE_180;
      default -> opencv_core.ROTATE_90_COUNTERCLOCKWISE;
    };
    Mat out = new Mat();
    opencv_core.rotate(image, out, code);
    return out;
  }
}
