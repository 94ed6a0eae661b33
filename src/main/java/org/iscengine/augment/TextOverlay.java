package org.iscengine.augment;

import org.bytedeco.opencv.opencv_core.Mat;

/**
 * AugLy-style text overlay: lines of random characters, each a random length, in a random font,
 * colour and size (a fraction of the image height), at a random place, with an opacity.
 */
public record TextOverlay(
    int minLines, int maxLines, int minChars, int maxChars, double minSize, double maxSize, double minOpacity,
    double maxOpacity) implements Transform {
  static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 !?.,:;#@&%$+-*/=()";

  public TextOverlay {
    Check.range("lines", minLines, maxLines, 1, 100);
    Check.range("characters", minChars, maxChars, 0, 1000);
    Check.range("size", minSize, maxSize, 0.01, 1);
    Check.range("opacity", minOpacity, maxOpacity, 0, 1);
  }

  /** The winner's text: 1-2 lines of 5-9 characters, font size 0.1-0.3, opaque. */
  public static TextOverlay lyakaap() {
    return new TextOverlay(1, 2, 5, 9, 0.1, 0.3, 1.0, 1.0);
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    Mat out = image.clone();
    int lines = rng.between(minLines, maxLines);
    for (int l = 0; l < lines; l++) {
      int length = rng.between(minChars, maxChars);
      StringBuilder text = new StringBuilder(length);
      for (int i = 0; i < length; i++) {
        text.append(ALPHABET.charAt(rng.nextInt(ALPHABET.length())));
      }
      int font = rng.nextInt(res.fonts().size());
      int height = (int) Math.round(out.rows() * rng.uniform(minSize, maxSize));
      double[] color = Ops.randomColor(rng);
      double opacity = rng.uniform(minOpacity, maxOpacity);
      String line = text.toString().strip();
      if (line.isEmpty()) {
        continue;
      }
      try (Mat mask = res.fonts().render(line, font, height)) {
        int x = rng.between(-mask.cols() / 4, Math.max(0, out.cols() - mask.cols() * 3 / 4));
        int y = rng.between(0, Math.max(0, out.rows() - mask.rows()));
        Ops.paint(out, mask, x, y, color, opacity);
      }
    }
    return out;
  }
}
