package org.iscengine.kernels;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exact k-nearest-neighbour search of query rows against reference rows, both [n, d] float32,
 * keeping the top-k per query while the references stream through the kernel (the score matrix
 * is never stored). Ties are broken by lower id. Runs libisc_cpu for CPU tensors and libisc_cuda
 * for CUDA tensors; where neither can, the LibTorch reference, logged once. Thread-safe.
 *
 * <p>For a reference set larger than memory, feed it in chunks through {@link #stream}.
 */
public final class Knn {
  private static final Logger log = LoggerFactory.getLogger(Knn.class);

  /** Largest k the kernels keep. */
  public static final int MAX_K = 1024;

  private static final Set<String> announced = ConcurrentHashMap.newKeySet();

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
    boolean nativeKernel = NativeKnn.supports(queries, precision);
    String key = GemChecks.deviceName(queries) + "/" + precision;
    if (announced.add(key)) {
      if (nativeKernel) {
        log.info("kNN on {} ({}): native kernel", GemChecks.deviceName(queries), precision);
      } else {
        String why = queries.is_cuda()
            ? CudaKernels.unavailableReason().orElse("?")
            : CpuKernels.unavailableReason().orElse("the CPU kernel computes in fp32 only");
        log.info("kNN on {} ({}): LibTorch reference ({})", GemChecks.deviceName(queries), precision, why);
      }
    }
    return nativeKernel;
  }
}
