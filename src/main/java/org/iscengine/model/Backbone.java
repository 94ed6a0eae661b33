package org.iscengine.model;

import org.bytedeco.pytorch.Tensor;

/** A convolutional network up to its last feature map. */
public interface Backbone {
  /** [N, 3, H, W] normalised images to the last feature map [N, channels(), h, w]; a new tensor. */
  Tensor features(Tensor images);

  /** Channels of the last feature map. */
  int channels();
}
