package org.iscengine.augment;

import java.util.List;
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

  /** An augmented image and the names of the edits that made it (empty for a recipe without named edits). */
  public record Edited(Mat image, List<String> edits) {}

  /** A new augmented image (the caller closes it); the input is left as it is. */
  public Mat apply(Mat image, long seed) {
    return apply(image, new Rng(seed));
  }

  /** As {@link #apply(Mat, long)}, the same image, with the named edits that made it. */
  public Edited applyRecorded(Mat image, long seed) {
    Rng rng = Rng.recording(seed);
    Mat out = apply(image, rng);
    return new Edited(out, rng.edits());
  }

  private Mat apply(Mat image, Rng rng) {
    if (image == null || image.isNull() || image.empty()) {
      throw new IllegalArgumentException("image is null or empty");
    }
    if (image.channels() != 3 || image.depth() != org.bytedeco.opencv.global.opencv_core.CV_8U) {
      throw new IllegalArgumentException(
          "augmentations take 8-bit BGR images (decoded with Images), got " + image.channels() + " channels, depth "
              + image.depth());
    }
    Mat out = recipe.apply(image, rng, resources);
    return out == image ? image.clone() : out;
  }
}
