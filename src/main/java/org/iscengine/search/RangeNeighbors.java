package org.iscengine.search;

import org.iscengine.kernels.Metric;

/**
 * The neighbours of each query within a radius (inner product above it, or squared L2 distance
 * below it), best first. The hits of query q are entries offsets[q] .. offsets[q+1]-1.
 */
public record RangeNeighbors(Metric metric, long[] offsets, long[] ids, float[] scores) {
  public int queries() {
    return offsets.length - 1;
  }

  public int count(int query) {
    return (int) (offsets[query + 1] - offsets[query]);
  }

  public long id(int query, int i) {
    return ids[(int) offsets[query] + i];
  }

  public float score(int query, int i) {
    return scores[(int) offsets[query] + i];
  }
}
