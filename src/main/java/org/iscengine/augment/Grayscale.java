package org.iscengine.augment;

import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;

/** Grey levels in all three channels. */
public record Grayscale() implements Transform {
  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    Mat out = new Mat();
    try (Mat gray = new Mat()) {
      opencv_imgproc.cvtColor(image, gray, opencv_imgproc.COLOR_BGR2GRAY);
      opencv_imgproc.cvtColor(gray, out, opencv_imgproc.COLOR_GRAY2BGR);
    }
    return out;
  }
}
