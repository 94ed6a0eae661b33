package org.iscengine.train;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.kernels.Tensors;

/**
 * SoftTriple loss (Qian et al., ICCV 2019), the matching-track winner's metric loss: each class
 * has K centres; a descriptor's similarity to a class is the softmax-weighted (temperature gamma)
 * mean of its similarities to the class's centres; the loss is the cross-entropy of lambda times
 * those similarities (the true class's lowered by the margin), plus tau times a term that draws a
 * class's centres together (merging those it does not need). With autograd through LibTorch's
 * ops; descriptors are unit rows.
 */
public final class SoftTripleLoss implements AutoCloseable {
  /**
   * @param classes number of classes
   * @param centers centres per class (K)
   * @param dimension descriptor dimension
   * @param lambda scale of the similarities (the paper's 20)
   * @param gamma temperature of the softmax over a class's centres (0.1)
   * @param tau weight of the centre-merging term (0.2; 0 turns it off)
   * @param margin subtracted from the true class's similarity (the winner trains with 0)
   */
  public record Settings(int classes, int centers, int dimension, double lambda, double gamma, double tau,
      double margin) {
    public Settings {
      if (classes < 2 || centers < 1 || dimension < 1 || !(lambda > 0) || !(gamma > 0) || !(tau >= 0)
          || !(margin >= 0)) {
        throw new IllegalArgumentException("SoftTriple needs classes >= 2, centres >= 1, dimension >= 1, lambda > 0,"
            + " gamma > 0, tau >= 0, margin >= 0");
      }
    }

    /** The paper's settings (lambda 20, gamma 0.1, tau 0.2) with margin 0, as the winner used. */
    public static Settings of(int classes, int centers, int dimension) {
      return new Settings(classes, centers, dimension, 20, 0.1, 0.2, 0);
    }
  }

  private final Settings settings;
  private final Tensor centers;

  /** Random centres (Kaiming-uniform, as the paper's code), seeded through LibTorch's generator. */
  public SoftTripleLoss(Settings settings) {
    this.settings = settings;
    double bound = 1.0 / Math.sqrt(settings.dimension());
    try (Tensor uniform = torch.rand(settings.dimension(), (long) settings.classes() * settings.centers());
        Scalar two = new Scalar(2 * bound);
        Scalar shift = new Scalar(bound)) {
      Tensor init = uniform.mul(two).sub(shift);
      init.requires_grad_(true);
      this.centers = init;
    }
  }

  public Settings settings() {
    return settings;
  }

  /** The centres [dimension, classes * centres], a parameter for the optimiser. */
  public Tensor centers() {
    return centers;
  }

  /** The loss (a scalar) of unit descriptors [n, dimension] with class labels [n] (int64). */
  public Tensor loss(Tensor descriptors, Tensor labels) {
    return loss(descriptors, labels, centers, settings);
  }

  /** The loss on given centres, in their dtype. */
  static Tensor loss(Tensor x, Tensor labels, Tensor centers, Settings s) {
    long n = x.size(0);
    try (PointerScope scope = new PointerScope()) {
      Tensor w = Tensors.l2Normalize(centers.t()).t();                          // unit centres, [d, C*K]
      Tensor similarity = x.mm(w).reshape(n, s.classes(), s.centers());        // [n, C, K]
      Tensor weights = torch.softmax(similarity.mul(new Scalar(1.0 / s.gamma())), 2);
      Tensor perClass = weights.mul(similarity).sum(new long[] {2}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
      if (s.margin() > 0) {
        Tensor oneHot = torch.one_hot(labels, s.classes()).to(Tensors.dtype(perClass));
        perClass = perClass.sub(oneHot.mul(new Scalar(s.margin())));
      }
      Tensor loss = torch.cross_entropy_loss(perClass.mul(new Scalar(s.lambda())), labels, new TensorOptional(), 1,
          -100, 0.0);
      if (s.tau() > 0 && s.centers() > 1) {
        loss = loss.add(centreSpread(w, s).mul(new Scalar(s.tau())));
      }
      loss.retainReference();
      return loss;
    }
  }

  /**
   * The distances sqrt(2 - 2 cos) between the centres of each class, pair by pair, summed and
   * divided by C K (K - 1), as the paper's code does (with 1e-5 under the root, so that the
   * gradient at equal centres is finite).
   */
  private static Tensor centreSpread(Tensor w, Settings s) {
    int k = s.centers();
    Tensor cosines = w.t().mm(w);                                              // [C*K, C*K]
    float[] mask = new float[s.classes() * k * s.classes() * k];
    int side = s.classes() * k;
    for (int c = 0; c < s.classes(); c++) {
      for (int i = 0; i < k; i++) {
        for (int j = i + 1; j < k; j++) {
          mask[(c * k + i) * side + c * k + j] = 1;
        }
      }
    }
    Tensor pairs = org.iscengine.kernels.HostTensors.tensor(mask, side, side).to(Tensors.dtype(w));
    Tensor distances = cosines.mul(new Scalar(-2)).add(new Scalar(2 + 1e-5)).clamp_min(new Scalar(0)).sqrt();
    return distances.mul(pairs).sum().div(new Scalar((double) s.classes() * k * (k - 1)));
  }

  @Override
  public void close() {
    centers.close();
  }
}
