package org.iscengine.augment;

import java.util.Arrays;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageFormat;
import org.iscengine.image.Images;

/** Re-encoding as JPEG at one of the given qualities (each as likely). */
public record JpegQuality(int[] qualities) implements Transform {
  public JpegQuality {
    if (qualities.length == 0) {
      throw new IllegalArgumentException("at least one quality is needed");
    }
    for (int q : qualities) {
      if (q < 1 || q > 100) {
        throw new IllegalArgumentException("JPEG quality must be in [1, 100], got " + q);
      }
    }
    qualities = qualities.clone();
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    int quality = qualities[rng.nextInt(qualities.length)];
    byte[] jpeg = Images.encode(image, ImageFormat.JPEG, quality);
    return Images.decode(jpeg, "re-encoded JPEG", Integer.MAX_VALUE);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof JpegQuality other && Arrays.equals(qualities, other.qualities);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(qualities);
  }

  @Override
  public String toString() {
    return "JpegQuality" + Arrays.toString(qualities);
  }
}
