package org.iscengine.kernels;

import java.util.Arrays;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Argument checks shared by every GeM implementation; messages name the offending value. */
final class GemChecks {
  private GemChecks() {}

  static void forward(Tensor x, double p, double eps, Set<ScalarType> dtypes, String implementation) {
    input(x, dtypes, implementation);
    parameters(p, eps);
  }

  static void backward(
      Tensor gradOutput, Tensor x, Tensor output, double p, double eps, Set<ScalarType> dtypes,
      String implementation) {
    forward(x, p, eps, dtypes, implementation);
    pooled("gradOutput", gradOutput, x);
    pooled("output", output, x);
  }

  /** Checks that t is a live tensor; call first, before anything else reads t. */
  static void defined(String name, Tensor t) {
    if (t == null || t.isNull() || !t.defined()) {
      throw new IllegalArgumentException("GeM " + name + " is null or undefined");
    }
  }

  static void parameters(double p, double eps) {
    if (!(p >= Gem.MIN_P && p <= Gem.MAX_P)) {
      throw new IllegalArgumentException("GeM p must be in [" + Gem.MIN_P + ", " + Gem.MAX_P + "], got " + p);
    }
    if (!(eps > 0) || !Double.isFinite(eps)) {
      throw new IllegalArgumentException("GeM eps must be finite and > 0, got " + eps);
    }
    // Every clamped element adds at least eps^p to a float32 sum: it must not underflow.
    if (p * Math.log((float) eps) < Math.log(Float.MIN_NORMAL)) {
      throw new IllegalArgumentException(
          "GeM eps^p underflows float32 (eps=" + eps + ", p=" + p + "): raise eps or lower p");
    }
  }

  private static void input(Tensor x, Set<ScalarType> dtypes, String implementation) {
    defined("input", x);
    long[] shape = Tensors.shape(x);
    if (shape.length != 4) {
      throw new IllegalArgumentException("GeM input must be 4-D NCHW, got shape " + Arrays.toString(shape));
    }
    for (long s : shape) {
      if (s < 1) {
        throw new IllegalArgumentException("GeM input has an empty dimension: shape " + Arrays.toString(shape));
      }
    }
    ScalarType dtype = Tensors.dtype(x);
    if (!dtypes.contains(dtype)) {
      throw new IllegalArgumentException(
          "GeM input dtype " + dtype + " on " + Tensors.deviceName(x) + " is not supported by " + implementation
              + " (supported: " + dtypes + ")");
    }
    if (!x.is_contiguous()) {
      throw new IllegalArgumentException(
          "GeM input must be contiguous NCHW (shape " + Arrays.toString(shape) + "); call contiguous() first");
    }
  }

  private static void pooled(String name, Tensor t, Tensor x) {
    defined(name, t);
    long[] expected = {x.size(0), x.size(1)};
    long[] shape = Tensors.shape(t);
    if (!Arrays.equals(shape, expected)) {
      throw new IllegalArgumentException(
          "GeM " + name + " must have shape " + Arrays.toString(expected) + ", got " + Arrays.toString(shape));
    }
    if (Tensors.dtype(t) != Tensors.dtype(x)) {
      throw new IllegalArgumentException(
          "GeM " + name + " dtype " + Tensors.dtype(t) + " differs from the input's " + Tensors.dtype(x));
    }
    if (t.is_cuda() != x.is_cuda() || (t.is_cuda() && Tensors.deviceIndex(t) != Tensors.deviceIndex(x))) {
      throw new IllegalArgumentException(
          "GeM " + name + " is on " + Tensors.deviceName(t) + " but the input is on " + Tensors.deviceName(x));
    }
    if (!t.is_contiguous()) {
      throw new IllegalArgumentException("GeM " + name + " must be contiguous");
    }
  }
}
