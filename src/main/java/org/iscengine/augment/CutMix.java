package org.iscengine.augment;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.iscengine.image.ImageOps;

/** CutMix (SSCD): a box of area fraction in [minArea, maxArea] taken from another image at the same place. */
public record CutMix(double minArea, double maxArea) implements Transform {
  public CutMix {
    Check.range("area", minArea, maxArea, 0, 1);
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    int w = image.cols();
    int h = image.rows();
    double side = Math.sqrt(rng.uniform(minArea, maxArea));
    int bw = Math.max(1, (int) Math.round(w * side));
    int bh = Math.max(1, (int) Math.round(h * side));
    int x = rng.between(0, w - bw);
    int y = rng.between(0, h - bh);
    Mat out = image.clone();
    try (Mat other = res.others().draw(rng);
        Mat fitted = ImageOps.resize(other, w, h);
        Rect box = new Rect(x, y, bw, bh);
        Mat from = new Mat(fitted, box);
        Mat to = new Mat(out, box)) {
      from.copyTo(to);
    }
    return out;
  }
}
