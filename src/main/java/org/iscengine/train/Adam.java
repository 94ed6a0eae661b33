package org.iscengine.train;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Adam as PyTorch's {@code torch.optim.Adam} (weight decay added to the gradient, no AMSGrad), the
 * optimizer InsCLR trains with: g = grad + wd · w; m = β1 · m + (1 - β1) · g; v = β2 · v + (1 - β2)
 * · g²; w -= lr · (m / (1 - β1^t)) / (sqrt(v / (1 - β2^t)) + ε), t counting this optimizer's steps
 * from 1.
 */
public final class Adam implements AutoCloseable {
  public static final double DEFAULT_BETA1 = 0.9;
  public static final double DEFAULT_BETA2 = 0.999;
  public static final double DEFAULT_EPS = 1e-8;

  private final List<Tensor> params;
  private final List<Tensor> firstMoments = new ArrayList<>();
  private final List<Tensor> secondMoments = new ArrayList<>();
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private long steps;

  /** PyTorch's defaults: β1 0.9, β2 0.999, ε 1e-8. */
  public Adam(TensorVector parameters, double weightDecay) {
    this(parameters, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPS, weightDecay);
  }

  public Adam(TensorVector parameters, double beta1, double beta2, double eps, double weightDecay) {
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("Adam's betas must be in [0, 1), got " + beta1 + ", " + beta2);
    }
    if (!(eps > 0) || !(weightDecay >= 0)) {
      throw new IllegalArgumentException("Adam needs eps > 0 and weightDecay >= 0, got " + eps + ", " + weightDecay);
    }
    this.params = Gradients.trained(parameters);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    try (NoGradGuard noGrad = new NoGradGuard()) {
      for (Tensor p : params) {
        firstMoments.add(torch.zeros_like(p));
        secondMoments.add(torch.zeros_like(p));
      }
    }
  }

  /** Steps taken so far (the t of the bias corrections). */
  public long steps() {
    return steps;
  }

  public void zeroGrad() {
    Gradients.zero(params);
  }

  /** The global L2 norm of the gradients, scaled down to maxNorm when above it (maxNorm 0: never). */
  public double clipGradients(double maxNorm) {
    return Gradients.clip(params, maxNorm);
  }

  public void step(double lr) {
    if (!(lr >= 0) || !Double.isFinite(lr)) {
      throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
    }
    steps++;
    double correction1 = 1 - Math.pow(beta1, steps);
    double correction2 = 1 - Math.pow(beta2, steps);
    try (NoGradGuard noGrad = new NoGradGuard();
        Scalar wd = new Scalar(weightDecay);
        Scalar b1 = new Scalar(beta1);
        Scalar b2 = new Scalar(beta2);
        Scalar oneMinusB1 = new Scalar(1 - beta1);
        Scalar oneMinusB2 = new Scalar(1 - beta2);
        Scalar sqrtCorrection2 = new Scalar(Math.sqrt(correction2));
        Scalar epsilon = new Scalar(eps);
        Scalar minusStep = new Scalar(-lr / correction1)) {
      for (int i = 0; i < params.size(); i++) {
        Tensor w = params.get(i);
        Tensor g = w.grad();
        if (!g.defined()) {
          continue;
        }
        try (Tensor d = weightDecay == 0 ? g.clone() : g.add(w, wd);
            Tensor squared = d.mul(d)) {
          Tensor m = firstMoments.get(i);
          Tensor v = secondMoments.get(i);
          m.mul_(b1);
          m.add_(d, oneMinusB1);
          v.mul_(b2);
          v.add_(squared, oneMinusB2);
          try (Tensor root = v.sqrt();
              Tensor denominator = root.div(sqrtCorrection2);
              Tensor shifted = denominator.add(epsilon);
              Tensor update = m.div(shifted)) {
            w.add_(update, minusStep);
          }
        }
      }
    }
  }

  @Override
  public void close() {
    firstMoments.forEach(Tensor::close);
    secondMoments.forEach(Tensor::close);
    firstMoments.clear();
    secondMoments.clear();
    params.forEach(Tensor::close);
    params.clear();
  }
}
