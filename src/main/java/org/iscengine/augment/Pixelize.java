package org.iscengine.augment;

import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageOps;

/** AugLy's pixelization: down to a fraction in [low, high] of the size, back up with blocks. */
public record Pixelize(double low, double high) implements UniformTransform {
  public Pixelize { Check.range("ratio", low, high, 0.01, 1); }

  @Override
  public Mat apply(Mat image, double ratio, Rng rng, Resources res) {
    int w = Math.max(1, (int) Math.round(image.cols() * ratio));
    int h = Math.max(1, (int) Math.round(image.rows() * ratio));
    try (Mat small = ImageOps.resize(image, w, h, opencv_imgproc.INTER_AREA)) {
      return ImageOps.resize(small, image.cols(), image.rows(), opencv_imgproc.INTER_NEAREST);
    }
  }
}
