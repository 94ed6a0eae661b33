package org.iscengine.augment;

import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageOps;

/**
 * AugLy's overlay_onto_background_image (the "underlay" of D2LV): the image, scaled to a width
 * fraction in [minSize, maxSize] of another image from the pool, is pasted onto it at a random
 * place with an opacity. The result has the other image's size.
 */
public record OverlayOntoBackground(double minSize, double maxSize, double minOpacity, double maxOpacity)
    implements Transform {
  public OverlayOntoBackground {
    Check.range("size", minSize, maxSize, 0.01, 1);
    Check.range("opacity", minOpacity, maxOpacity, 0, 1);
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    Mat background = res.others().draw(rng);
    double scale = rng.uniform(minSize, maxSize) * background.cols() / image.cols();
    int w = Math.max(1, (int) Math.round(image.cols() * scale));
    int h = Math.max(1, Math.min(background.rows(), (int) Math.round(image.rows() * scale)));
    double opacity = rng.uniform(minOpacity, maxOpacity);
    try (Mat small = ImageOps.resize(image, w, h)) {
      int x = rng.between(0, Math.max(0, background.cols() - w));
      int y = rng.between(0, Math.max(0, background.rows() - h));
      Ops.paste(background, small, x, y, opacity);
    }
    return background;
  }
}
