package org.iscengine.image;

import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;

import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point2f;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;
import org.iscengine.errors.IscException;

/**
 * Geometry on images: resizing, turning and cropping into new Mats (the caller closes them). A
 * resize or a turn to more than {@link Images#MAX_PIXELS} pixels is refused: sizes computed from an
 * uploaded image's aspect ratio (its short side brought to 320 px, say) must not turn a 4096 x 1
 * strip into a gigabyte.
 */
public final class ImageOps {
  private ImageOps() {}

  /**
   * Resized to width x height (each at least 1).
   *
   * @throws IscException of kind {@link IscException.Kind#OUT_OF_RESOURCES} when that is more than
   *     {@link Images#MAX_PIXELS} pixels
   */
  public static Mat resize(Mat image, int width, int height, int interpolation) {
    int w = Math.max(1, width);
    int h = Math.max(1, height);
    refuseOverLimit("resizing", image, w, h);
    Mat out = new Mat();
    try (Size size = new Size(w, h)) {
      opencv_imgproc.resize(image, out, size, 0, 0, interpolation);
    }
    return out;
  }

  /** Area interpolation when shrinking, linear when growing. */
  public static Mat resize(Mat image, int width, int height) {
    boolean shrink = width < image.cols() || height < image.rows();
    return resize(image, width, height, shrink ? opencv_imgproc.INTER_AREA : opencv_imgproc.INTER_LINEAR);
  }

  /**
   * Resized, aspect kept, so that the longer side is {@code side}; an image already within it is
   * copied as it is unless enlarge.
   */
  public static Mat fit(Mat image, int side, boolean enlarge) {
    double scale = (double) side / Math.max(image.cols(), image.rows());
    if (scale >= 1 && !enlarge) {
      return image.clone();
    }
    return resize(image, (int) Math.round(image.cols() * scale), (int) Math.round(image.rows() * scale));
  }

  /**
   * Turned about its centre by this many degrees (positive: counter-clockwise) onto a canvas grown
   * to hold the whole image, its corners black.
   */
  public static Mat rotate(Mat image, double degrees) {
    double rad = Math.toRadians(degrees);
    double cos = Math.abs(Math.cos(rad));
    double sin = Math.abs(Math.sin(rad));
    int w = image.cols();
    int h = image.rows();
    int outW = Math.max(1, (int) Math.round(w * cos + h * sin));
    int outH = Math.max(1, (int) Math.round(w * sin + h * cos));
    refuseOverLimit("turning", image, outW, outH);
    Mat rotated = new Mat();
    try (Point2f center = new Point2f(w / 2f, h / 2f);
        Mat m = opencv_imgproc.getRotationMatrix2D(center, degrees, 1.0);
        Size size = new Size(outW, outH);
        Scalar black = new Scalar(0, 0, 0, 0)) {
      // Shift so the turned image is centred in the larger canvas.
      try (DoubleIndexer t = m.createIndexer()) {
        t.put(0, 2, t.get(0, 2) + (outW - w) / 2.0);
        t.put(1, 2, t.get(1, 2) + (outH - h) / 2.0);
      }
      opencv_imgproc.warpAffine(image, rotated, m, size, opencv_imgproc.INTER_LINEAR, BORDER_CONSTANT, black);
    }
    return rotated;
  }

  /** A copy of the rectangle, clipped to the image. */
  public static Mat crop(Mat image, int x, int y, int width, int height) {
    if (image.empty()) {
      throw new IllegalArgumentException("cannot crop an empty image");
    }
    int x0 = clamp(x, 0, image.cols() - 1);
    int y0 = clamp(y, 0, image.rows() - 1);
    int w = clamp(width, 1, image.cols() - x0);
    int h = clamp(height, 1, image.rows() - y0);
    try (Rect r = new Rect(x0, y0, w, h);
        Mat view = new Mat(image, r)) {
      return view.clone();
    }
  }

  /** Throws OUT_OF_RESOURCES when an output of w x h would be over {@link Images#MAX_PIXELS}. */
  private static void refuseOverLimit(String what, Mat image, int w, int h) {
    if ((long) w * h > Images.MAX_PIXELS) {
      throw new IscException(IscException.Kind.OUT_OF_RESOURCES, String.format(java.util.Locale.ROOT,
          "image too large: %s %dx%d to %dx%d (%.1f megapixels) is over the limit of %.1f megapixels", what,
          image.cols(), image.rows(), w, h, (double) w * h / 1e6, Images.MAX_PIXELS / 1e6));
    }
  }

  private static int clamp(int v, int lo, int hi) {
    return Math.max(lo, Math.min(hi, v));
  }
}
