package org.iscengine.augment;

import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;

import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point2f;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;
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
    int outW = (int) Math.round(w * cos + h * sin);
    int outH = (int) Math.round(w * sin + h * cos);
    Mat rotated = new Mat();
    try (Point2f center = new Point2f(w / 2f, h / 2f);
        Mat m = opencv_imgproc.getRotationMatrix2D(center, degrees, 1.0);
        Size size = new Size(Math.max(1, outW), Math.max(1, outH));
        Scalar black = new Scalar(0, 0, 0, 0)) {
      // Shift so the rotated image is centred in the larger canvas.
      try (org.bytedeco.javacpp.indexer.DoubleIndexer t = m.createIndexer()) {
        t.put(0, 2, t.get(0, 2) + (outW - w) / 2.0);
        t.put(1, 2, t.get(1, 2) + (outH - h) / 2.0);
      }
      opencv_imgproc.warpAffine(image, rotated, m, size, opencv_imgproc.INTER_LINEAR, BORDER_CONSTANT, black);
    }
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
