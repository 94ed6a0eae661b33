package org.iscengine.augment;

import org.bytedeco.opencv.opencv_core.Mat;

/**
 * A transform with one strength, drawn per image uniformly from [low, high] before anything else
 * random, then applied.
 */
interface UniformTransform extends Transform {
  double low();

  double high();

  /** The edit at the drawn strength; {@code rng} is for whatever else it draws. */
  Mat apply(Mat image, double strength, Rng rng, Resources resources);

  @Override
  default Mat apply(Mat image, Rng rng, Resources resources) {
    return apply(image, rng.uniform(low(), high()), rng, resources);
  }
}
