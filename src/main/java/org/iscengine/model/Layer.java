package org.iscengine.model;

import org.bytedeco.pytorch.Tensor;

/**
 * A module's computation: a new output tensor from an input it does not consume. The caller
 * closes the output.
 */
public interface Layer {
  Tensor forward(Tensor x);
}
