package org.iscengine.augment;

import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;

import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point2f;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * torchvision's RandomPerspective: each corner moves inwards by up to distortion / 2 of the
 * width and height, and the image is warped to the new quadrilateral on a black canvas.
 */
public record Perspective(double distortion) implements Transform {
  public Perspective {
    Check.range("distortion", 0, distortion, 0, 1);
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    int w = image.cols();
    int h = image.rows();
    int dw = (int) (distortion * w / 2);
    int dh = (int) (distortion * h / 2);
    float[] from = {0, 0, w - 1, 0, w - 1, h - 1, 0, h - 1};
    float[] to = {
      rng.between(0, dw), rng.between(0, dh),
      w - 1 - rng.between(0, dw), rng.between(0, dh),
      w - 1 - rng.between(0, dw), h - 1 - rng.between(0, dh),
      rng.between(0, dw), h - 1 - rng.between(0, dh)
    };
    Mat out = new Mat();
    try (Point2f src = new Point2f(4);
        Point2f dst = new Point2f(4)) {
      for (int i = 0; i < 4; i++) {
        src.position(i).x(from[2 * i]).y(from[2 * i + 1]);
        dst.position(i).x(to[2 * i]).y(to[2 * i + 1]);
      }
      src.position(0);
      dst.position(0);
      try (Mat m = opencv_imgproc.getPerspectiveTransform(src, dst);
          Size size = new Size(w, h);
          Scalar black = new Scalar(0, 0, 0, 0)) {
        opencv_imgproc.warpPerspective(image, out, m, size, opencv_imgproc.INTER_LINEAR, BORDER_CONSTANT, black);
      }
    }
    return out;
  }
}
