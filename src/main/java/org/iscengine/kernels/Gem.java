package org.iscengine.kernels;

import org.bytedeco.pytorch.Tensor;

/**
 * Generalized-mean (GeM) pooling: {@code y[n,c] = mean_hw(max(x[n,c,h,w], eps)^p)^(1/p)} for a
 * contiguous NCHW tensor x. p = 1 is average pooling; larger p moves towards max pooling.
 *
 * <p>Each call runs the native kernel for x's device when it can (libisc_cpu for float32 CPU
 * tensors, libisc_cuda for float32/float16/bfloat16 CUDA tensors) and otherwise the LibTorch
 * reference, as {@link KernelProvider} decides. Thread-safe.
 */
public final class Gem {
  /** The clamp used by the ISC21 winners' GeM. */
  public static final double DEFAULT_EPS = 1e-6;

  /** Range of p the kernels accept. */
  public static final double MIN_P = 1.0;

  public static final double MAX_P = 16.0;

  private Gem() {}

  /** GeM with the default eps. */
  public static Tensor forward(Tensor x, double p) {
    return forward(x, p, DEFAULT_EPS);
  }

  public static Tensor forward(Tensor x, double p, double eps) {
    return kernelFor(x).forward(x, p, eps);
  }

  /** Gradients given dL/dy, where {@code output} is the forward result for the same arguments. */
  public static GemGradients backward(
      Tensor gradOutput, Tensor x, Tensor output, double p, double eps, boolean withP) {
    return kernelFor(x).backward(gradOutput, x, output, p, eps, withP);
  }

  /** The hand-written kernels (CPU or CUDA by the input's device). */
  public static GemKernel nativeKernel() {
    return NativeGem.INSTANCE;
  }

  /** LibTorch's composed ops with autograd. */
  public static GemKernel reference() {
    return ReferenceGem.INSTANCE;
  }

  /** The implementation that runs for this input: native where it can, else the reference. */
  public static GemKernel kernelFor(Tensor x) {
    GemChecks.defined("input", x);
    return KernelProvider.runsNative(KernelProvider.Kernel.GEM, x) ? NativeGem.INSTANCE : ReferenceGem.INSTANCE;
  }
}
