package org.iscengine.search;

import org.iscengine.kernels.Metric;

/**
 * The k nearest neighbours of each query, best first: inner products descending or squared L2
 * distances ascending, equal scores by lower id. Row-major arrays of queries x k; an id of -1
 * marks a missing neighbour (fewer than k vectors in the index).
 */
public record Neighbors(int queries, int k, Metric metric, float[] scores, long[] ids) {
  public Neighbors {
    if (scores.length != (long) queries * k || ids.length != (long) queries * k) {
      throw new IllegalArgumentException("scores and ids must hold queries * k = " + (long) queries * k + " values");
    }
  }

  public long id(int query, int rank) {
    return ids[query * k + rank];
  }

  public float score(int query, int rank) {
    return scores[query * k + rank];
  }
}
