package org.iscengine.kernels;

import org.bytedeco.pytorch.Tensor;
import org.iscengine.kernels.binding.IscAbi;

/**
 * Exact k-nearest-neighbour search of query rows against reference rows, both [n, d] float32,
 * keeping the top-k per query while the references stream through the kernel (the score matrix
 * is never stored). Ties are broken by lower id. Runs libisc_cpu for CPU tensors and libisc_cuda
 * for CUDA tensors; where neither can, the LibTorch reference ({@link KernelProvider}). Thread-safe.
 *
 * <p>For a reference set larger than memory, feed it in chunks through {@link #stream}.
 */
public final class Knn {
  /** Largest k the kernels keep. */
  public static final int MAX_K = IscAbi.KNN_MAX_K;

  private Knn() {}

  /** Exact fp32 search; ids are reference row numbers. */
  public static KnnResult search(Tensor queries, Tensor refs, int k, Metric metric) {
    return search(queries, refs, k, metric, KnnPrecision.FP32);
  }

  /**
   * Search with the given score arithmetic (reduced precision picks candidates on the GPU that
   * are re-scored exactly; see {@link KnnPrecision}).
   */
  public static KnnResult search(Tensor queries, Tensor refs, int k, Metric metric, KnnPrecision precision) {
    TensorChecks.matrix("queries", queries);
    TensorChecks.matrix("references", refs);
    TensorChecks.sameDimension(queries, refs);
    TensorChecks.sameDevice(queries, refs);
    TensorChecks.k(k);
    if (k > refs.size(0)) {
      throw new IllegalArgumentException("k=" + k + " exceeds the number of references (" + refs.size(0) + ")");
    }
    try (KnnStream stream = new KnnStream(queries, k, metric, precision, 0)) {
      stream.add(refs);
      return stream.result();
    }
  }

  /** A search over references given chunk by chunk (ids continue from chunk to chunk). */
  public static KnnStream stream(Tensor queries, int k, Metric metric, KnnPrecision precision) {
    TensorChecks.matrix("queries", queries);
    TensorChecks.k(k);
    return new KnnStream(queries, k, metric, precision, 0);
  }

  /** LibTorch's brute force (full score matrix and a stable sort): the reference of the kernels. */
  public static KnnResult reference(Tensor queries, Tensor refs, int k, Metric metric) {
    if (k < 1 || k > refs.size(0)) {
      throw new IllegalArgumentException("k must be in [1, " + refs.size(0) + "], got " + k);
    }
    TensorChecks.sameDimension(queries, refs);
    return ReferenceKnn.search(queries, refs, k, metric, 0);
  }

  /**
   * The full [nq, nr] matrix from LibTorch ops: inner products, or squared distances clamped at 0.
   * For small problems and range searches; its memory grows with nq * nr.
   */
  public static Tensor scoreMatrix(Tensor queries, Tensor refs, Metric metric) {
    TensorChecks.sameDimension(queries, refs);
    return ReferenceKnn.scoreMatrix(queries, refs, metric);
  }

  static boolean useNative(Tensor queries, KnnPrecision precision) {
    String variant = precision == KnnPrecision.FP32 ? null : precision.name();
    return KernelProvider.choose(KernelProvider.Kernel.KNN, queries, variant).runsNative();
  }
}
