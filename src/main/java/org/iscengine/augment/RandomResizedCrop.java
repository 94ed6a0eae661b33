package org.iscengine.augment;

import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageOps;

/**
 * torchvision's RandomResizedCrop: a crop covering a random fraction in [scaleMin, scaleMax] of
 * the area with aspect ratio (log-uniform) in [ratioMin, ratioMax], then resized to size x size
 * (size 0 keeps the crop's own size). Ten tries, then a centre crop, as torchvision does.
 */
public record RandomResizedCrop(double scaleMin, double scaleMax, double ratioMin, double ratioMax, int size)
    implements Transform {
  public RandomResizedCrop {
    Check.range("scale", scaleMin, scaleMax, 0, 1);
    Check.range("ratio", ratioMin, ratioMax, 1e-3, 1e3);
    if (size < 0) {
      throw new IllegalArgumentException("size must be >= 0, got " + size);
    }
  }

  public RandomResizedCrop(double scaleMin, double scaleMax, int size) {
    this(scaleMin, scaleMax, 3.0 / 4, 4.0 / 3, size);
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    int w = image.cols();
    int h = image.rows();
    double area = (double) w * h;
    int cw = w;
    int ch = h;
    int x = 0;
    int y = 0;
    boolean found = false;
    for (int attempt = 0; attempt < 10 && !found; attempt++) {
      double target = area * rng.uniform(scaleMin, scaleMax);
      double ratio = Math.exp(rng.uniform(Math.log(ratioMin), Math.log(ratioMax)));
      int tw = (int) Math.round(Math.sqrt(target * ratio));
      int th = (int) Math.round(Math.sqrt(target / ratio));
      if (tw > 0 && th > 0 && tw <= w && th <= h) {
        cw = tw;
        ch = th;
        x = rng.nextInt(w - tw + 1);
        y = rng.nextInt(h - th + 1);
        found = true;
      }
    }
    if (!found) {
      double ratio = (double) w / h;
      if (ratio < ratioMin) {
        cw = w;
        ch = (int) Math.round(w / ratioMin);
      } else if (ratio > ratioMax) {
        ch = h;
        cw = (int) Math.round(h * ratioMax);
      }
      x = (w - cw) / 2;
      y = (h - ch) / 2;
    }
    Mat crop = ImageOps.crop(image, x, y, cw, ch);
    if (size == 0) {
      return crop;
    }
    try (crop) {
      return ImageOps.resize(crop, size, size);
    }
  }
}
