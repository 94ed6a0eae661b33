package org.iscengine.kernels;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Tensor;

/**
 * The k nearest references of each query, best first: {@code scores} [nq, k] float32 (inner
 * products descending, or squared L2 distances ascending; equal scores by lower id) and
 * {@code ids} [nq, k] int64 (-1 where fewer than k references exist). Tensors live on the device
 * of the queries; closing the result frees them.
 */
public record KnnResult(Tensor scores, Tensor ids) implements AutoCloseable {
  public int queries() {
    return (int) scores.size(0);
  }

  public int k() {
    return (int) scores.size(1);
  }

  /** Scores as a Java array, row-major [nq * k]. */
  public float[] scoreArray() {
    return HostTensors.toArray(scores);
  }

  /** Ids as a Java array, row-major [nq * k]. */
  public long[] idArray() {
    try (Tensor cpu = ids.cpu().contiguous();
        LongPointer p = new LongPointer(cpu.data_ptr())) {
      long[] out = new long[(int) cpu.numel()];
      p.get(out);
      return out;
    }
  }

  @Override
  public void close() {
    scores.close();
    ids.close();
  }
}
