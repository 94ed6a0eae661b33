package org.iscengine.augment;

import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageOps;

/**
 * Rotation by an angle uniform in [minDegrees, maxDegrees] (positive: counter-clockwise). With
 * crop, the result is the largest upright rectangle inside the rotated image (no borders);
 * without, the canvas grows to hold the whole image and the corners are black.
 */
public record Rotate(double minDegrees, double maxDegrees, boolean crop) implements Transform {
  public Rotate {
    Check.range("degrees", minDegrees, maxDegrees, -360, 360);
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    double degrees = rng.uniform(minDegrees, maxDegrees);
    double rad = Math.toRadians(degrees);
    double cos = Math.abs(Math.cos(rad));
    double sin = Math.abs(Math.sin(rad));
    int w = image.cols();
    int h = image.rows();
    Mat rotated = ImageOps.rotate(image, degrees);
    int outW = rotated.cols();
    int outH = rotated.rows();
    if (!crop) {
      return rotated;
    }
    // Largest axis-aligned rectangle of the rotated w x h rectangle.
    double longSide = Math.max(w, h);
    double shortSide = Math.min(w, h);
    double cw;
    double chh;
    if (shortSide <= 2 * sin * cos * longSide || Math.abs(sin - cos) < 1e-10) {
      double x = 0.5 * shortSide;
      boolean wide = w >= h;
      cw = wide ? x / sin : x / cos;
      chh = wide ? x / cos : x / sin;
    } else {
      double cos2 = cos * cos - sin * sin;
      cw = (w * cos - h * sin) / cos2;
      chh = (h * cos - w * sin) / cos2;
    }
    int iw = Math.max(1, (int) Math.floor(Math.min(cw, outW)));
    int ih = Math.max(1, (int) Math.floor(Math.min(chh, outH)));
    try (rotated) {
      return ImageOps.crop(rotated, (outW - iw) / 2, (outH - ih) / 2, iw, ih);
    }
  }
}
