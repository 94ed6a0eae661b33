package org.iscengine.descriptor;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.kernels.Knn;
import org.iscengine.kernels.KnnResult;
import org.iscengine.kernels.Metric;
import org.iscengine.kernels.TensorChecks;
import org.iscengine.kernels.Tensors;

/**
 * Database-side augmentation, as the descriptor-track winner applies it to the training
 * descriptors: each row becomes the sum of its k nearest rows (itself included) weighted by
 * similarity^alpha, then L2-normalised. Inputs are L2-normalised [n, d] float32 rows; neighbours
 * come from the exact kNN kernel (inner product).
 *
 * @param k neighbours, itself included (winner: 10)
 * @param alpha weight exponent (winner: 3). An integer keeps the sign of negative similarities;
 *     for a fractional one they weigh 0.
 */
public record Dba(int k, double alpha) {
  public Dba {
    TensorChecks.k(k);
    if (!(alpha >= 0) || Double.isInfinite(alpha)) {
      throw new IllegalArgumentException("DBA alpha must be >= 0, got " + alpha);
    }
  }

  /** The winner's setting: k = 10, alpha = 3. */
  public static Dba winner() {
    return new Dba(10, 3);
  }

  /** The augmented rows, a new [n, d] tensor. */
  public Tensor apply(Tensor descriptors) {
    TensorChecks.matrix("descriptors", descriptors);
    if (k > descriptors.size(0)) {
      throw new IllegalArgumentException("DBA k=" + k + " exceeds the " + descriptors.size(0) + " descriptors");
    }
    try (KnnResult nn = Knn.search(descriptors, descriptors, k, Metric.INNER_PRODUCT);
        Tensor weights = weights(nn.scores());
        Tensor sum = Rows.weightedNeighbourSum(descriptors, nn.ids(), weights)) {
      return Tensors.l2Normalize(sum);
    }
  }

  /** The neighbours' weights, similarity^alpha, a new tensor shaped as the similarities. */
  public Tensor weights(Tensor similarities) {
    try (Scalar power = new Scalar(alpha)) {
      if (alpha == Math.rint(alpha)) {
        return similarities.pow(power);
      }
      try (Scalar zero = new Scalar(0.0);
          Tensor positive = similarities.clamp_min(zero)) {
        return positive.pow(power);
      }
    }
  }
}
