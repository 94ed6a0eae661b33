package org.iscengine.kernels;

import java.util.EnumSet;
import java.util.Set;
import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * GeM from LibTorch's composed ops, {@code x.clamp_min(eps).pow(p).mean([2, 3]).pow(1/p)}, with
 * autograd for the backward pass. The reference the native kernels are tested against, and the
 * fallback where they cannot run. Any floating dtype, any device LibTorch has. Thread-safe.
 *
 * <p>Note on the binding: LibTorch methods returning {@code Tensor&} (in-place ops,
 * {@code requires_grad_}, {@code grad()}) give a non-owning view of another handle; keep one beyond
 * its owner's life only through {@code new Tensor(view)}.
 */
final class ReferenceGem implements GemKernel {
  private static final Set<ScalarType> DTYPES =
      EnumSet.of(ScalarType.Float, ScalarType.Double, ScalarType.Half, ScalarType.BFloat16);

  static final ReferenceGem INSTANCE = new ReferenceGem();

  private ReferenceGem() {}

  @Override
  public String name() {
    return "libtorch";
  }

  @Override
  public Tensor forward(Tensor x, double p, double eps) {
    GemChecks.defined("input", x);
    GemChecks.forward(x, p, eps, DTYPES, "the LibTorch reference");
    try (Scalar epsScalar = new Scalar(eps);
        Scalar pScalar = new Scalar(p);
        Scalar inverse = new Scalar(1.0 / p);
        Tensor clamped = x.clamp_min(epsScalar);
        Tensor powered = clamped.pow(pScalar);
        Tensor mean = powered.mean(2, 3)) {
      return mean.pow(inverse);
    }
  }

  @Override
  public GemGradients backward(
      Tensor gradOutput, Tensor x, Tensor output, double p, double eps, boolean withP) {
    GemChecks.defined("input", x);
    GemChecks.backward(gradOutput, x, output, p, eps, DTYPES, "the LibTorch reference");
    try (AutoGradMode gradMode = new AutoGradMode(true);
        Tensor detached = x.detach();
        Tensor input = detached.requires_grad_(true);
        Tensor pTensor = Tensors.scalarLike(x, p);
        Tensor pLeaf = pTensor.requires_grad_(withP);
        Scalar epsScalar = new Scalar(eps);
        Tensor clamped = input.clamp_min(epsScalar);
        Tensor powered = clamped.pow(pLeaf);
        Tensor mean = powered.mean(2, 3);
        Tensor inverse = pLeaf.reciprocal();
        Tensor y = mean.pow(inverse);
        BoolOptional keepGraph = new BoolOptional();
        TensorArrayRefOptional inputs = new TensorArrayRefOptional()) {
      y.backward(gradOutput, keepGraph, false, inputs);
      // grad() is a reference into the leaf, which is freed when this block ends: copy the handle.
      Tensor gradInput;
      try (Tensor g = input.grad()) {
        gradInput = new Tensor(g);
      }
      Tensor gradP = null;
      if (withP) {
        try (Tensor g = pLeaf.grad()) {
          gradP = g.to(ScalarType.Float);
        }
      }
      return new GemGradients(gradInput, gradP);
    }
  }
}
