package org.iscengine.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.kernels.ComputeDevice;

/** Anything that turns a batch of normalised images into descriptors: built-in models, TorchScript. */
public interface DescriptorNetwork extends AutoCloseable {
  /** [N, 3, S, S] float32 images, normalised as {@link #config()} says, to [N, dimension] descriptors. */
  Tensor describe(Tensor images);

  int dimension();

  /** Moves the weights to a device and element type (float32, or float16 / bfloat16 on a GPU). */
  void moveTo(ComputeDevice device, ScalarType dtype);

  /** Input size, normalisation and, for built-in models, the architecture. */
  ModelConfig config();

  @Override
  void close();
}
