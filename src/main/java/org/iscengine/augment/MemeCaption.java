package org.iscengine.augment;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.iscengine.image.ImageOps;

/**
 * AugLy's meme_format: a band of height fraction in [minHeight, maxHeight] above the image,
 * white (or a random colour), with a line of random words in black (or a contrasting colour).
 */
public record MemeCaption(double minHeight, double maxHeight, boolean randomColors) implements Transform {
  private static final String[] WORDS = {
    "when", "you", "finally", "see", "it", "me", "every", "monday", "that", "moment", "nobody", "cares", "the",
    "cat", "did", "what", "is", "this", "copy", "not", "again", "why", "look", "at", "my", "new", "photo"
  };

  public MemeCaption {
    Check.range("height", minHeight, maxHeight, 0.01, 2);
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    int band = Math.max(8, (int) Math.round(image.rows() * rng.uniform(minHeight, maxHeight)));
    double[] bg = randomColors ? Ops.randomColor(rng) : new double[] {255, 255, 255};
    double luminance = 0.114 * bg[0] + 0.587 * bg[1] + 0.299 * bg[2];
    double[] ink = luminance > 128 ? new double[] {0, 0, 0} : new double[] {255, 255, 255};
    Mat out;
    try (Scalar fill = new Scalar(bg[0], bg[1], bg[2], 0)) {
      out = new Mat(image.rows() + band, image.cols(), CV_8UC3, fill);
    }
    try (Rect below = new Rect(0, band, image.cols(), image.rows());
        Mat target = new Mat(out, below)) {
      image.copyTo(target);
    }
    StringBuilder caption = new StringBuilder();
    int words = rng.between(2, 5);
    for (int i = 0; i < words; i++) {
      caption.append(i == 0 ? "" : " ").append(WORDS[rng.nextInt(WORDS.length)]);
    }
    int font = rng.nextInt(res.fonts().size());
    try (Mat mask = res.fonts().render(caption.toString().toUpperCase(java.util.Locale.ROOT), font, band * 2 / 3)) {
      // Shrink a caption wider than the image to fit.
      Mat fitted = mask.cols() > image.cols()
          ? ImageOps.resize(mask, image.cols(), Math.max(1, mask.rows() * image.cols() / mask.cols()))
          : mask;
      try {
        Ops.paint(out, fitted, (image.cols() - fitted.cols()) / 2, Math.max(0, (band - fitted.rows()) / 2), ink, 1.0);
      } finally {
        if (fitted != mask) {
          fitted.close();
        }
      }
    }
    return out;
  }
}
