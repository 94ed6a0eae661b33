package org.iscengine.image;

import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

/** Geometry on images: resizing and cropping into new Mats (the caller closes them). */
public final class ImageOps {
  private ImageOps() {}

  public static Mat resize(Mat image, int width, int height, int interpolation) {
    Mat out = new Mat();
    try (Size size = new Size(Math.max(1, width), Math.max(1, height))) {
      opencv_imgproc.resize(image, out, size, 0, 0, interpolation);
    }
    return out;
  }

  /** Area interpolation when shrinking, linear when growing. */
  public static Mat resize(Mat image, int width, int height) {
    boolean shrink = width < image.cols() || height < image.rows();
    return resize(image, width, height, shrink ? opencv_imgproc.INTER_AREA : opencv_imgproc.INTER_LINEAR);
  }

  /** A copy of the rectangle, clipped to the image. */
  public static Mat crop(Mat image, int x, int y, int width, int height) {
    int x0 = clamp(x, 0, image.cols() - 1);
    int y0 = clamp(y, 0, image.rows() - 1);
    int w = clamp(width, 1, image.cols() - x0);
    int h = clamp(height, 1, image.rows() - y0);
    try (Rect r = new Rect(x0, y0, w, h);
        Mat view = new Mat(image, r)) {
      return view.clone();
    }
  }

  private static int clamp(int v, int lo, int hi) {
    return Math.max(lo, Math.min(hi, v));
  }
}
