package org.iscengine.descriptor;

import org.bytedeco.pytorch.Tensor;

/** Row-wise tensor steps shared by the post-processing methods. */
final class Rows {
  /** Rows gathered at once when summing neighbours: bounds the [rows, k, d] temporary. */
  private static final long CHUNK = 8192;

  private Rows() {}

  /**
   * out[i] = sum_j weights[i, j] * pool[ids[i, j]]: [n, d] from ids and weights [n, k], computed
   * a chunk of rows at a time.
   */
  static Tensor weightedNeighbourSum(Tensor pool, Tensor ids, Tensor weights) {
    long n = ids.size(0);
    long k = ids.size(1);
    long d = pool.size(1);
    Tensor out = pool.new_empty(new long[] {n, d});
    for (long start = 0; start < n; start += CHUNK) {
      long rows = Math.min(CHUNK, n - start);
      try (Tensor idChunk = ids.narrow(0, start, rows);
          Tensor flat = idChunk.reshape(rows * k);
          Tensor gathered = pool.index_select(0, flat);
          Tensor neighbours = gathered.view(rows, k, d);
          Tensor wChunk = weights.narrow(0, start, rows);
          Tensor w = wChunk.unsqueeze(1);
          Tensor sum = w.bmm(neighbours);
          Tensor flatSum = sum.view(rows, d);
          Tensor target = out.narrow(0, start, rows)) {
        target.copy_(flatSum);
      }
    }
    return out;
  }
}
