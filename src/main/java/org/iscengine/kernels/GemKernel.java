package org.iscengine.kernels;

import org.bytedeco.pytorch.Tensor;

/**
 * Generalized-mean pooling of an NCHW tensor over its spatial positions:
 * {@code y[n,c] = mean_hw(max(x[n,c,h,w], eps)^p)^(1/p)}. Implementations check their arguments
 * and throw {@link IllegalArgumentException} naming a bad one. Outputs are new tensors owned by
 * the caller (attached to the caller's {@code PointerScope}, if any).
 */
public interface GemKernel {
  /** Short description of the implementation, for logs and reports. */
  String name();

  /** Pooled [N, C] tensor of x's dtype and device. */
  Tensor forward(Tensor x, double p, double eps);

  /**
   * Gradients given dL/dy. {@code output} is what {@link #forward} returned for the same x, p
   * and eps; the gradient of the clamp passes where x >= eps, as in PyTorch.
   */
  GemGradients backward(Tensor gradOutput, Tensor x, Tensor output, double p, double eps, boolean withP);
}
