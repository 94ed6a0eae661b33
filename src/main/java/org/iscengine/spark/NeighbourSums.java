package org.iscengine.spark;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.kernels.HostTensors;

/**
 * Weighted sums of the rows that ranked lists name (what DBA and NES add to a descriptor), on the
 * executors: the lists and their weights are broadcast, each shard of the pool adds the rows it
 * holds, in float64, and the shards' partial sums are added in a tree.
 */
final class NeighbourSums {
  private NeighbourSums() {}

  /**
   * @param weights one per entry of the lists, queries x k, row-major
   */
  private record Weighted(RankedLists lists, float[] weights) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /**
   * For each query i of the lists, sum over j of weights[i, j] times the pool row the list names
   * at j: queries x dim floats, row-major.
   */
  static float[] of(JavaSparkContext jsc, RankedLists lists, float[] weights, List<ReferenceShard> pool, int dim) {
    if (weights.length != lists.references().length) {
      throw new IllegalArgumentException(weights.length + " weights for " + lists.references().length
          + " neighbours");
    }
    Broadcast<Weighted> shared = jsc.broadcast(new Weighted(lists, weights));
    try {
      double[] sums = jsc.parallelize(pool, pool.size())
          .map(shard -> partial(shard, shared.value(), dim))
          .treeReduce(NeighbourSums::add);
      float[] out = new float[sums.length];
      for (int i = 0; i < out.length; i++) {
        out[i] = (float) sums[i];
      }
      return out;
    } finally {
      shared.destroy();
    }
  }

  /** The part of every sum that the shard's rows make. */
  private static double[] partial(ReferenceShard shard, Weighted weighted, int dim) {
    RankedLists lists = weighted.lists();
    double[] sums = new double[lists.queries() * dim];
    float[] rows;
    try (Descriptors held = shard.read()) {
      rows = HostTensors.toArray(held.vectors());
    }
    long[] references = lists.references();
    for (int i = 0; i < references.length; i++) {
      long row = references[i] - shard.offset();
      if (row < 0 || row >= shard.rows()) {
        continue;
      }
      double w = weighted.weights()[i];
      int to = (i / lists.k()) * dim;
      int from = Math.toIntExact(row * dim);
      for (int j = 0; j < dim; j++) {
        sums[to + j] += w * rows[from + j];
      }
    }
    TaskFaults.reached("shard at row " + shard.offset() + " summed");
    return sums;
  }

  private static double[] add(double[] a, double[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
    return a;
  }
}
