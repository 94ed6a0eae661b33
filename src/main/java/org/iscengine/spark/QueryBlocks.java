package org.iscengine.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.kernels.HostTensors;

/**
 * The queries in blocks of consecutive rows, broadcast to every executor: a task searches its
 * references with one block at a time, so that one block's scores and neighbours are in memory.
 *
 * @param dimension floats per vector
 * @param blocks the blocks, in query order
 */
record QueryBlocks(int dimension, List<Block> blocks) implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * Rows [start, start + ids.size()) of the queries.
   *
   * @param vectors row-major, ids.size() x dimension
   */
  record Block(int start, List<String> ids, float[] vectors) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The block as descriptors (a new CPU tensor; the caller closes it). */
    Descriptors descriptors(int dimension) {
      return new Descriptors(ids, HostTensors.tensor(vectors, ids.size(), dimension));
    }
  }

  /** Number of queries. */
  int size() {
    return blocks.isEmpty() ? 0 : blocks.get(blocks.size() - 1).start() + blocks.get(blocks.size() - 1).ids().size();
  }

  static QueryBlocks of(Descriptors queries, int blockRows) {
    if (blockRows < 1) {
      throw new IllegalArgumentException("queries per block must be >= 1, got " + blockRows);
    }
    List<Block> blocks = new ArrayList<>();
    for (int start = 0; start < queries.size(); start += blockRows) {
      int n = Math.min(blockRows, queries.size() - start);
      try (Tensor rows = queries.vectors().narrow(0, start, n)) {
        blocks.add(new Block(start, List.copyOf(queries.ids().subList(start, start + n)), HostTensors.toArray(rows)));
      }
    }
    return new QueryBlocks(queries.dim(), List.copyOf(blocks));
  }
}
