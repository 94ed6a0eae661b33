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
import scala.Tuple2;

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

  /** Each query's best min(k, shard rows) references of the shard: (query row, hits). */
  List<Tuple2<Integer, RankedHits>> knn(ReferenceShard shard, QueryBlocks queries, int k) {
    List<Tuple2<Integer, RankedHits>> out = new ArrayList<>();
    try (Descriptors references = shard.read();
        ExactIndex index = new ExactIndex(queries.dimension(), metric)) {
      long[] rows = new long[shard.rows()];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = shard.offset() + i;
      }
      index.add(references.vectors(), rows);
      int kk = Math.min(k, shard.rows());
      for (QueryBlocks.Block block : queries.blocks()) {
        Neighbors found;
        try (Descriptors q = block.descriptors(queries.dimension())) {
          found = index.search(q.vectors(), kk);
        }
        for (int qi = 0; qi < found.queries(); qi++) {
          long[] refs = new long[kk];
          String[] ids = new String[kk];
          float[] scores = new float[kk];
          for (int r = 0; r < kk; r++) {
            refs[r] = found.id(qi, r);
            ids[r] = references.ids().get((int) (refs[r] - shard.offset()));
            scores[r] = Matcher.score(metric, found.score(qi, r));
          }
          out.add(new Tuple2<>(block.start() + qi, new RankedHits(refs, ids, scores)));
        }
      }
    }
    return out;
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
          best.add(new RankedPair(block.start() + found.queryIndex(row), shard.offset() + reference,
              references.ids().get(reference), found.score(row)));
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
