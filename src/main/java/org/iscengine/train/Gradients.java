package org.iscengine.train;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/** What every optimizer does to its parameters' gradients: collect the trained ones, clear, scale, clip. */
final class Gradients {
  private Gradients() {}

  /** Owning handles of the parameters that require a gradient (the vector's elements are views into it). */
  static List<Tensor> trained(TensorVector parameters) {
    List<Tensor> params = new ArrayList<>();
    for (long i = 0; i < parameters.size(); i++) {
      Tensor p = new Tensor(parameters.get(i));
      if (p.requires_grad()) {
        params.add(p);
      } else {
        p.close();
      }
    }
    return params;
  }

  static void zero(List<Tensor> params) {
    for (Tensor p : params) {
      Tensor g = p.grad();
      if (g.defined()) {
        g.zero_();
      }
    }
  }

  static void scale(List<Tensor> params, double factor) {
    try (Scalar f = new Scalar(factor)) {
      for (Tensor p : params) {
        Tensor g = p.grad();
        if (g.defined()) {
          g.mul_(f);
        }
      }
    }
  }

  /** The global L2 norm of the gradients, scaled down to maxNorm when above it (maxNorm 0: never). */
  static double clip(List<Tensor> params, double maxNorm) {
    double sum = 0;
    for (Tensor p : params) {
      Tensor g = p.grad();
      if (g.defined()) {
        try (Tensor n = g.norm()) {
          double v = n.item_double();
          sum += v * v;
        }
      }
    }
    double norm = Math.sqrt(sum);
    if (maxNorm > 0 && norm > maxNorm) {
      scale(params, maxNorm / (norm + 1e-6));
    }
    return norm;
  }
}
