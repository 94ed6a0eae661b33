package org.iscengine.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.kernels.Metric;
import org.iscengine.match.Matcher;
import org.iscengine.match.Predictions;
import org.iscengine.search.ExactIndex;
import org.iscengine.search.Neighbors;

/**
 * The search of one reference shard, on an executor, by the engine's exact kernel: each block of
 * the broadcast queries in turn. Reference ids in the results are rows of all reference files, so
 * that results of the shards merge as one search over every reference would rank them.
 */
final class ShardSearch implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Metric metric;

  ShardSearch(Metric metric) {
    this.metric = metric;
  }

  /** Each query's best min(k, shard rows) references of the shard. */
  RankedLists knn(ReferenceShard shard, QueryBlocks queries, int k) {
    int kk = Math.min(k, shard.rows());
    int total = queries.size();
    long[] references = new long[total * kk];
    float[] scores = new float[references.length];
    try (Descriptors shardRows = shard.read();
        ExactIndex index = new ExactIndex(queries.dimension(), metric)) {
      long[] rows = new long[shard.rows()];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = shard.offset() + i;
      }
      index.add(shardRows.vectors(), rows);
      for (QueryBlocks.Block block : queries.blocks()) {
        Neighbors found;
        try (Descriptors q = block.descriptors(queries.dimension())) {
          found = index.search(q.vectors(), kk);
        }
        int at = block.start() * kk;
        System.arraycopy(found.ids(), 0, references, at, found.ids().length);
        for (int i = 0; i < found.scores().length; i++) {
          scores[at + i] = Matcher.score(metric, found.scores()[i]);
        }
      }
    }
    TaskFaults.reached("shard at row " + shard.offset() + " searched");
    return new RankedLists(total, kk, references, scores);
  }

  /**
   * The shard's best n (query, reference) pairs over all queries, best first: the global best n
   * pairs are among the union of every shard's.
   */
  List<RankedPair> top(ReferenceShard shard, QueryBlocks queries, int n) {
    List<RankedPair> best = new ArrayList<>();
    RankedPair.Order order = new RankedPair.Order();
    try (Descriptors references = shard.read()) {
      Matcher matcher = new Matcher(metric);
      for (QueryBlocks.Block block : queries.blocks()) {
        Predictions found;
        try (Descriptors q = block.descriptors(queries.dimension())) {
          found = matcher.top(q, references, n);
        }
        for (int row = 0; row < found.size(); row++) {
          int reference = found.referenceIndex(row);
          best.add(new RankedPair(block.start() + found.queryIndex(row), shard.offset() + reference, found.score(row)));
        }
        best.sort(order);  // each block's best n, then the best n of all blocks so far
        if (best.size() > n) {
          best = new ArrayList<>(best.subList(0, n));
        }
      }
    }
    return best;
  }
}
