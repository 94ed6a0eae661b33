package org.iscengine.augment;

import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageOps;

/**
 * AugLy's overlay_image: another image from the pool, scaled to a width fraction in
 * [minSize, maxSize] of this one, is pasted on it at a random place with an opacity.
 */
public record OverlayImage(double minSize, double maxSize, double minOpacity, double maxOpacity) implements Transform {
  public OverlayImage {
    Check.range("size", minSize, maxSize, 0.01, 1);
    Check.range("opacity", minOpacity, maxOpacity, 0, 1);
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    Mat out = image.clone();
    try (Mat other = res.others().draw(rng)) {
      double scale = rng.uniform(minSize, maxSize) * image.cols() / other.cols();
      int w = Math.max(1, (int) Math.round(other.cols() * scale));
      int h = Math.max(1, Math.min(image.rows(), (int) Math.round(other.rows() * scale)));
      double opacity = rng.uniform(minOpacity, maxOpacity);
      try (Mat small = ImageOps.resize(other, w, h)) {
        Ops.paste(out, small, rng.between(0, Math.max(0, image.cols() - w)), rng.between(0, Math.max(0, image.rows() - h)),
            opacity);
      }
    }
    return out;
  }
}
