package org.iscengine.augment;

import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageOps;

/** Resizes to width x height, aspect ratio not kept (the winner's square resize). */
public record Resize(int width, int height) implements Transform {
  public Resize {
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException("size must be >= 1, got " + width + "x" + height);
    }
  }

  public static Resize square(int size) {
    return new Resize(size, size);
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    if (image.cols() == width && image.rows() == height) {
      return image;
    }
    return ImageOps.resize(image, width, height);
  }
}
