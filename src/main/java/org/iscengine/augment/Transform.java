package org.iscengine.augment;

import org.bytedeco.opencv.opencv_core.Mat;

/**
 * One image edit. Takes an 8-bit BGR image and returns the edited image: a new Mat, or the input
 * itself when nothing changes. Never modifies or closes its input. All randomness comes from the
 * given {@link Rng}, so a seed fixes the result.
 */
@FunctionalInterface
public interface Transform {
  Mat apply(Mat image, Rng rng, Resources resources);
}
