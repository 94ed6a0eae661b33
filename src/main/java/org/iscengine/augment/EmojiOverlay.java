package org.iscengine.augment;

import org.bytedeco.opencv.opencv_core.Mat;

/** An emoji of size (a fraction of the shorter side) in [minSize, maxSize], at a random place, with an opacity. */
public record EmojiOverlay(double minSize, double maxSize, double minOpacity, double maxOpacity) implements Transform {
  public EmojiOverlay {
    Check.range("size", minSize, maxSize, 0.01, 1);
    Check.range("opacity", minOpacity, maxOpacity, 0, 1);
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    int side = (int) Math.round(Math.min(image.cols(), image.rows()) * rng.uniform(minSize, maxSize));
    double opacity = rng.uniform(minOpacity, maxOpacity);
    Mat out = image.clone();
    try (Mat emoji = res.emoji().draw(rng, Math.max(8, side))) {
      int x = rng.between(0, Math.max(0, out.cols() - emoji.cols()));
      int y = rng.between(0, Math.max(0, out.rows() - emoji.rows()));
      Ops.paste(out, emoji, x, y, opacity);
    }
    return out;
  }
}
