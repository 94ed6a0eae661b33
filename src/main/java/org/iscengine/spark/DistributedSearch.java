package org.iscengine.spark;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.kernels.Knn;
import org.iscengine.kernels.Metric;
import org.iscengine.match.Predictions;

/**
 * Exact search of queries against references on a Spark cluster: the reference files are cut into
 * shards, one task each ({@link ShardSearch}), and the queries broadcast to every task in blocks.
 * Results are merged exactly: each query's k best (as {@code isc match --k}), or the globally best
 * n pairs (as {@code isc match}); equal scores by lower reference row, as the kernel orders them.
 * Executors read the reference files by path.
 *
 * @param shardRows rows per reference shard (null: a shard per reference file)
 * @param queryBlock queries searched at once by a task
 */
public record DistributedSearch(SparkSession spark, Metric metric, Integer shardRows, int queryBlock) {
  /** Queries per broadcast block. */
  public static final int DEFAULT_QUERY_BLOCK = 4096;

  /** Each query's k best references (k at most 1024 and the number of references), query by query. */
  public Predictions knn(Descriptors queries, List<Path> references, int k) {
    List<ReferenceShard> shards = ReferenceShard.plan(references, queries.dim(), shardRows);
    long total = ReferenceShard.rows(shards);
    if (k < 1 || k > Math.min(Knn.MAX_K, total)) {
      throw new IllegalArgumentException("k must be in [1, " + Math.min(Knn.MAX_K, total) + "], got " + k);
    }
    if ((long) queries.size() * k > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(queries.size() + " queries x k=" + k + " neighbours do not fit one result:"
          + " search fewer queries at a time");
    }
    List<String> referenceIds = ReferenceShard.ids(references);
    RankedLists best = rank(queries, shards, k, "isc spark search: " + queries.size() + " queries, k=" + k);
    int[] q = new int[queries.size() * k];
    int[] r = new int[q.length];
    for (int row = 0; row < q.length; row++) {
      q[row] = row / k;
      r[row] = Math.toIntExact(best.references()[row]);
    }
    return new Predictions(queries.ids(), referenceIds, q, r, best.scores());
  }

  /**
   * Each query's best min(k, rows of the shards) rows of the shards, by the search's metric: one
   * task per shard, the lists merged on the executors, pairwise in a tree, so that the driver
   * receives one list per query.
   */
  RankedLists rank(Descriptors queries, List<ReferenceShard> shards, int k, String description) {
    JavaSparkContext jsc = context(description, shards.size());
    Broadcast<QueryBlocks> blocks = jsc.broadcast(QueryBlocks.of(queries, queryBlock));
    ShardSearch search = new ShardSearch(metric);
    try {
      return jsc.parallelize(shards, shards.size())
          .map(shard -> search.knn(shard, blocks.value(), k))
          .treeReduce((a, b) -> RankedLists.merge(a, b, k));
    } finally {
      blocks.destroy();
    }
  }

  /** The n best (query, reference) pairs over all queries (all pairs if there are fewer), best first. */
  public Predictions top(Descriptors queries, List<Path> references, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("the number of results must be >= 1, got " + n);
    }
    List<ReferenceShard> shards = ReferenceShard.plan(references, queries.dim(), shardRows);
    List<String> referenceIds = ReferenceShard.ids(references);
    JavaSparkContext jsc = context("isc spark search: best " + n + " pairs of " + queries.size() + " queries",
        shards.size());
    Broadcast<QueryBlocks> blocks = jsc.broadcast(QueryBlocks.of(queries, queryBlock));
    ShardSearch search = new ShardSearch(metric);
    try {
      JavaRDD<RankedPair> pairs = jsc.parallelize(shards, shards.size())
          .flatMap(shard -> search.top(shard, blocks.value(), n).iterator());
      List<RankedPair> best = pairs.takeOrdered(n, new RankedPair.Order());
      int[] q = new int[best.size()];
      int[] r = new int[best.size()];
      float[] scores = new float[best.size()];
      for (int i = 0; i < best.size(); i++) {
        q[i] = best.get(i).query();
        r[i] = Math.toIntExact(best.get(i).reference());
        scores[i] = best.get(i).score();
      }
      return new Predictions(queries.ids(), referenceIds, q, r, scores);
    } finally {
      blocks.destroy();
    }
  }

  private JavaSparkContext context(String description, int shards) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    jsc.setJobDescription(description + ", " + shards + " reference shards");
    return jsc;
  }
}
