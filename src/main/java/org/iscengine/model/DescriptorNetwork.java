package org.iscengine.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.runtime.ComputeDevice;

/** Anything that turns a batch of normalised images into descriptors: built-in models, TorchScript. */
public interface DescriptorNetwork extends AutoCloseable {
  /**
   * [N, 3, S, S] images, normalised as {@link #config()} says and in the weights' element type,
   * to [N, dimension] descriptors with unit L2 norm: normalised here, in float32 for float32,
   * float16 and bfloat16 weights (float32 out) and in float64 for float64 weights. Callers do not
   * normalise again; what changes the norm (a sum of test-time variants, a PCA) normalises its
   * own result. The result belongs to the caller.
   */
  Tensor describe(Tensor images);

  int dimension();

  /** Moves the weights to a device and element type (float32, or float16 / bfloat16 on a GPU). */
  void moveTo(ComputeDevice device, ScalarType dtype);

  /** Input size, normalisation and, for built-in models, the architecture. */
  ModelConfig config();

  @Override
  void close();
}
