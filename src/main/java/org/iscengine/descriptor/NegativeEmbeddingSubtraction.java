package org.iscengine.descriptor;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.kernels.Knn;
import org.iscengine.kernels.KnnResult;
import org.iscengine.kernels.Metric;
import org.iscengine.kernels.TensorChecks;
import org.iscengine.kernels.Tensors;

/**
 * The descriptor-track winner's negative embedding subtraction: each descriptor moves away from
 * its k nearest "negatives" (training descriptors, after DBA), x &larr; normalize(x &minus; beta
 * &middot; mean of its k nearest negatives), repeated; the negatives stay fixed. Inputs are
 * L2-normalised float32 rows.
 *
 * @param k negatives averaged (winner: 10)
 * @param beta step (winner: 0.35)
 * @param iterations repetitions (winner's final run: 1)
 */
public record NegativeEmbeddingSubtraction(int k, double beta, int iterations) {
  public NegativeEmbeddingSubtraction {
    TensorChecks.k(k);
    if (!Double.isFinite(beta)) {
      throw new IllegalArgumentException("NES beta must be finite, got " + beta);
    }
    if (iterations < 1) {
      throw new IllegalArgumentException("NES iterations must be >= 1, got " + iterations);
    }
  }

  /** The winner's setting: k = 10, beta = 0.35, one iteration. */
  public static NegativeEmbeddingSubtraction winner() {
    return new NegativeEmbeddingSubtraction(10, 0.35, 1);
  }

  /** One repetition: normalize(x - beta * mean of each row's k nearest negatives), a new tensor. */
  public Tensor step(Tensor x, Tensor negativeMean) {
    try (Scalar step = new Scalar(beta);
        Tensor moved = x.sub(negativeMean, step)) {
      return Tensors.l2Normalize(moved);
    }
  }

  /** The moved descriptors, a new [n, d] tensor. */
  public Tensor apply(Tensor descriptors, Tensor negatives) {
    TensorChecks.matrix("descriptors", descriptors);
    TensorChecks.matrix("negatives", negatives);
    TensorChecks.sameDimension(descriptors, negatives);
    if (k > negatives.size(0)) {
      throw new IllegalArgumentException("NES k=" + k + " exceeds the " + negatives.size(0) + " negatives");
    }
    Tensor x = descriptors.clone();
    try (Scalar share = new Scalar(1.0 / k);
        Tensor uniform = descriptors.new_full(new long[] {descriptors.size(0), k}, share)) {
      for (int it = 0; it < iterations; it++) {
        try (KnnResult nn = Knn.search(x, negatives, k, Metric.INNER_PRODUCT);
            Tensor mean = Rows.weightedNeighbourSum(negatives, nn.ids(), uniform)) {
          Tensor next = step(x, mean);
          x.close();
          x = next;
        }
      }
      return x;
    } catch (RuntimeException e) {
      x.close();
      throw e;
    }
  }
}
