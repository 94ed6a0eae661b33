package org.iscengine.augment;

import org.bytedeco.opencv.opencv_core.Mat;

/**
 * A recipe bound to its resources: turns an image and a seed into an augmented copy. The same
 * image, recipe, resources and seed give byte-identical output. Thread-safe.
 */
public final class Augmenter {
  private final Transform recipe;
  private final Resources resources;

  public Augmenter(Transform recipe, Resources resources) {
    this.recipe = recipe;
    this.resources = resources;
  }

  /** A named preset (see {@link Presets#NAMES}) producing size x size images. */
  public static Augmenter preset(String name, int size, Resources resources) {
    return new Augmenter(Presets.named(name, size), resources);
  }

  public Resources resources() {
    return resources;
  }

  /** A new augmented image (the caller closes it); the input is left as it is. */
  public Mat apply(Mat image, long seed) {
    if (image == null || image.isNull() || image.empty()) {
      throw new IllegalArgumentException("image is null or empty");
    }
    if (image.channels() != 3 || image.depth() != org.bytedeco.opencv.global.opencv_core.CV_8U) {
      throw new IllegalArgumentException(
          "augmentations take 8-bit BGR images (decoded with Images), got " + image.channels() + " channels, depth "
              + image.depth());
    }
    Mat out = recipe.apply(image, new Rng(seed), resources);
    return out == image ? image.clone() : out;
  }
}
