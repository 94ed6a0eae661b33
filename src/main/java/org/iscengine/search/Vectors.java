package org.iscengine.search;

import java.util.Arrays;
import java.util.Comparator;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.kernels.Metric;
import org.iscengine.kernels.TensorChecks;

/** Helpers shared by the index implementations. */
final class Vectors {
  private Vectors() {}

  /** t checked as a finite [n, dim] float32 matrix, as a new handle on host memory. */
  static Tensor host(String name, Tensor t, int dim) {
    TensorChecks.matrix(name, t);
    if (t.size(1) != dim) {
      throw new IllegalArgumentException(
          "dimension mismatch: " + name + " have d=" + t.size(1) + ", the index d=" + dim);
    }
    return t.is_cuda() ? t.cpu() : new Tensor(t);
  }

  /** Each query's hits ordered best first (equal scores by lower id). */
  static RangeNeighbors sortedRanges(Metric metric, long[] offsets, long[] ids, float[] scores) {
    Comparator<Integer> order = (a, b) -> {
      int byScore = metric == Metric.L2 ? Float.compare(scores[a], scores[b]) : Float.compare(scores[b], scores[a]);
      return byScore != 0 ? byScore : Long.compare(ids[a], ids[b]);
    };
    long[] sortedIds = new long[ids.length];
    float[] sortedScores = new float[scores.length];
    for (int q = 0; q + 1 < offsets.length; q++) {
      int from = (int) offsets[q];
      int to = (int) offsets[q + 1];
      Integer[] hits = new Integer[to - from];
      for (int i = 0; i < hits.length; i++) {
        hits[i] = from + i;
      }
      Arrays.sort(hits, order);
      for (int i = 0; i < hits.length; i++) {
        sortedIds[from + i] = ids[hits[i]];
        sortedScores[from + i] = scores[hits[i]];
      }
    }
    return new RangeNeighbors(metric, offsets, sortedIds, sortedScores);
  }
}
