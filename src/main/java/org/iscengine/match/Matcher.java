package org.iscengine.match;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.Knn;
import org.iscengine.kernels.KnnResult;
import org.iscengine.kernels.Metric;
import org.iscengine.kernels.Tensors;

/**
 * Matches query descriptors against reference descriptors with the exact kNN kernel (CPU, or
 * CUDA for tensors on a GPU), as the ISC21 matcher does: per-query k nearest, or the globally
 * best N (query, reference) pairs. Scores are inner products, or negated squared L2 distances,
 * so higher is always better. Equal scores come by lower query, then lower reference index.
 */
public final class Matcher {
  /** The descriptor track's number of predictions. */
  public static final int OFFICIAL_MAX_RESULTS = 500_000;

  /** Score-matrix rows computed at once when a query needs more than the kernel's k. */
  private static final long FULL_ROWS_ELEMENTS = 1L << 26;

  private final Metric metric;

  public Matcher(Metric metric) {
    this.metric = metric;
  }

  /** The k best references of every query (k at most 1024 and the number of references). */
  public Predictions knn(Descriptors queries, Descriptors references, int k) {
    int nq = queries.size();
    if (k < 1 || k > Math.min(Knn.MAX_K, references.size())) {
      throw new IllegalArgumentException("k must be in [1, " + Math.min(Knn.MAX_K, references.size()) + "], got " + k);
    }
    try (KnnResult nn = Knn.search(queries.vectors(), references.vectors(), k, metric)) {
      long[] ids = nn.idArray();
      float[] scores = nn.scoreArray();
      int[] q = new int[nq * k];
      int[] r = new int[nq * k];
      for (int i = 0; i < q.length; i++) {
        q[i] = i / k;
        r[i] = (int) ids[i];
        scores[i] = score(scores[i]);
      }
      return new Predictions(queries.ids(), references.ids(), q, r, scores);
    }
  }

  /**
   * Each query's pairs scored relative to its rank-th best pair: score − score at that rank, for
   * ranks 1 .. rank − 1 (the rank-th and later are dropped; see the overload to keep them). μAP
   * ranks the pairs of all queries together; this puts a query whose best references stand out from
   * its other neighbours above one whose neighbours all look alike (images that resemble much of
   * the collection, such as plain documents), whatever the raw similarity. Uses only the query's
   * own neighbours.
   *
   * @param knn per-query predictions, at least rank rows per query (as {@link #knn} gives)
   * @param rank the reference rank, from 2
   */
  public static Predictions relativeToRank(Predictions knn, int rank) {
    return relativeToRank(knn, rank, rank - 1);
  }

  /**
   * As {@link #relativeToRank(Predictions, int)}, each query keeping its best {@code kept} pairs (all
   * it has, if fewer): a deep candidate list to be fused with other systems keeps the pairs past
   * the reference rank, scored ≤ 0.
   *
   * @param kept pairs kept per query, at least rank − 1
   */
  public static Predictions relativeToRank(Predictions knn, int rank, int kept) {
    if (rank < 2) {
      throw new IllegalArgumentException("the reference rank must be >= 2, got " + rank);
    }
    if (kept < rank - 1) {
      throw new IllegalArgumentException("pairs kept per query must be >= rank - 1 = " + (rank - 1) + ", got " + kept);
    }
    Map<Integer, List<Integer>> rowsByQuery = rowsByQuery(knn);
    int total = rowsByQuery.values().stream().mapToInt(rows -> Math.min(kept, rows.size())).sum();
    int[] q = new int[total];
    int[] r = new int[total];
    float[] scores = new float[total];
    int out = 0;
    for (Map.Entry<Integer, List<Integer>> e : rowsByQuery.entrySet()) {
      List<Integer> rows = e.getValue();
      if (rows.size() < rank) {
        throw new IllegalArgumentException("query " + knn.queryIds().get(e.getKey()) + " has " + rows.size()
            + " predictions, fewer than the reference rank " + rank);
      }
      rows.sort(Comparator.<Integer>comparingDouble(knn::score).reversed().thenComparingInt(knn::referenceIndex));
      float base = knn.score(rows.get(rank - 1));
      for (int j = 0; j < Math.min(kept, rows.size()); j++) {
        int row = rows.get(j);
        q[out] = knn.queryIndex(row);
        r[out] = knn.referenceIndex(row);
        scores[out++] = knn.score(row) - base;
      }
    }
    return new Predictions(knn.queryIds(), knn.referenceIds(), q, r, scores);
  }

  /**
   * Each query's k best rows (all of a query with fewer), in the input's order: after folding
   * parts or fusing systems, a query holds more candidates than the k nearest it is compared at.
   */
  public static Predictions bestPerQuery(Predictions predictions, int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1, got " + k);
    }
    Map<Integer, List<Integer>> rowsByQuery = rowsByQuery(predictions);
    boolean[] keep = new boolean[predictions.size()];
    int kept = 0;
    for (List<Integer> rows : rowsByQuery.values()) {
      rows.sort(Comparator.<Integer>comparingDouble(predictions::score).reversed()
          .thenComparingInt(predictions::referenceIndex));
      for (int j = 0; j < Math.min(k, rows.size()); j++) {
        keep[rows.get(j)] = true;
        kept++;
      }
    }
    int[] q = new int[kept];
    int[] r = new int[kept];
    float[] scores = new float[kept];
    int out = 0;
    for (int row = 0; row < predictions.size(); row++) {
      if (keep[row]) {
        q[out] = predictions.queryIndex(row);
        r[out] = predictions.referenceIndex(row);
        scores[out++] = predictions.score(row);
      }
    }
    return new Predictions(predictions.queryIds(), predictions.referenceIds(), q, r, scores);
  }

  /**
   * The maxResults best pairs over all queries (all pairs if there are fewer), best first. Exact:
   * each query's list grows until its worst kept score is below the global cut-off.
   */
  public Predictions top(Descriptors queries, Descriptors references, int maxResults) {
    if (maxResults < 1) {
      throw new IllegalArgumentException("the number of results must be >= 1, got " + maxResults);
    }
    int nq = queries.size();
    int nr = references.size();
    int wanted = (int) Math.min(maxResults, (long) nq * nr);
    Candidates candidates = new Candidates(nq);
    int[] everyQuery = new int[nq];
    Arrays.setAll(everyQuery, i -> i);
    int k = (int) Math.min(Math.min(nr, Knn.MAX_K), Math.max(1, (2L * wanted + nq - 1) / nq));
    search(queries, references, everyQuery, k, candidates);
    while (true) {
      float cut = candidates.cutOff(wanted);
      int[] open = candidates.open(cut);
      if (open.length == 0) {
        break;
      }
      k = (int) Math.min(nr, 4L * k);
      if (k <= Knn.MAX_K) {
        search(queries, references, open, k, candidates);
      } else {
        fullRows(queries, references, open, cut, candidates);
      }
    }
    return candidates.best(wanted, queries.ids(), references.ids());
  }

  private float score(float raw) {
    return score(metric, raw);
  }

  /** A kernel's raw score as predictions carry it: the inner product, or minus the squared distance. */
  public static float score(Metric metric, float raw) {
    return metric == Metric.L2 ? -raw : raw;
  }

  /** The k best of the given queries replace their candidates. */
  private void search(Descriptors queries, Descriptors references, int[] subset, int k, Candidates candidates) {
    try (Tensor rows = select(queries.vectors(), subset);
        KnnResult nn = Knn.search(rows, references.vectors(), k, metric)) {
      long[] ids = nn.idArray();
      float[] scores = nn.scoreArray();
      for (int s = 0; s < subset.length; s++) {
        int[] refs = new int[k];
        float[] sc = new float[k];
        for (int j = 0; j < k; j++) {
          refs[j] = (int) ids[s * k + j];
          sc[j] = score(scores[s * k + j]);
        }
        candidates.set(subset[s], refs, sc, k == references.size());
      }
    }
  }

  /** Every reference scoring at least cut, for queries that need more than the kernel's k. */
  private void fullRows(Descriptors queries, Descriptors references, int[] subset, float cut, Candidates candidates) {
    int nr = references.size();
    int chunk = (int) Math.max(1, FULL_ROWS_ELEMENTS / nr);
    for (int start = 0; start < subset.length; start += chunk) {
      int[] part = Arrays.copyOfRange(subset, start, Math.min(subset.length, start + chunk));
      try (Tensor rows = select(queries.vectors(), part);
          Tensor matrix = Knn.scoreMatrix(rows, references.vectors(), metric)) {
        float[][] scores = HostTensors.toRows(matrix);
        for (int s = 0; s < part.length; s++) {
          float[] row = scores[s];
          int kept = 0;
          int[] refs = new int[nr];
          float[] sc = new float[nr];
          for (int j = 0; j < nr; j++) {
            float v = score(row[j]);
            if (v >= cut) {
              refs[kept] = j;
              sc[kept++] = v;
            }
          }
          candidates.set(part[s], Arrays.copyOf(refs, kept), Arrays.copyOf(sc, kept), true);
        }
      }
    }
  }

  private static Tensor select(Tensor matrix, int[] rows) {
    if (rows.length == matrix.size(0)) {
      return new Tensor(matrix);
    }
    long[] ids = new long[rows.length];
    for (int i = 0; i < rows.length; i++) {
      ids[i] = rows[i];
    }
    try (Tensor index = Tensors.longsLike(matrix, ids)) {
      return matrix.index_select(0, index);
    }
  }

  /** Each query's best references so far, and whether its list is complete. */
  private static final class Candidates {
    final int[][] refs;
    final float[][] scores;
    final boolean[] complete;

    Candidates(int nq) {
      refs = new int[nq][];
      scores = new float[nq][];
      complete = new boolean[nq];
    }

    void set(int query, int[] r, float[] s, boolean whole) {
      refs[query] = r;
      scores[query] = s;
      complete[query] = whole;
    }

    /** The wanted-th best score among the candidates (-infinity if there are fewer). */
    float cutOff(int wanted) {
      int total = 0;
      for (float[] s : scores) {
        total += s.length;
      }
      if (total < wanted) {
        return Float.NEGATIVE_INFINITY;
      }
      float[] all = new float[total];
      int o = 0;
      for (float[] s : scores) {
        System.arraycopy(s, 0, all, o, s.length);
        o += s.length;
      }
      Arrays.sort(all);
      return all[total - wanted];
    }

    /** Queries whose unseen references may still reach the cut-off (their worst kept one does). */
    int[] open(float cut) {
      List<Integer> open = new ArrayList<>();
      for (int q = 0; q < refs.length; q++) {
        float[] s = scores[q];
        if (!complete[q] && s.length > 0 && s[s.length - 1] >= cut) {
          open.add(q);
        }
      }
      return open.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A long that sorts by score descending, then by row: the score's order bits, then the row. */
    static long descendingKey(float score, int row) {
      int bits = Float.floatToIntBits(score + 0.0f);  // -0.0 as 0.0
      int ascending = bits < 0 ? bits ^ 0x7fffffff : bits;
      return ((long) ~ascending << 32) | row;
    }

    Predictions best(int wanted, List<String> queryIds, List<String> referenceIds) {
      int total = 0;
      for (float[] s : scores) {
        total += s.length;
      }
      int[] q = new int[total];
      int[] r = new int[total];
      float[] sc = new float[total];
      long[] keys = new long[total];
      int o = 0;
      for (int query = 0; query < refs.length; query++) {
        for (int j = 0; j < refs[query].length; j++) {
          q[o] = query;
          r[o] = refs[query][j];
          sc[o] = scores[query][j];
          keys[o] = descendingKey(sc[o], o);
          o++;
        }
      }
      // Rows are in query order and, within a query, equal scores are in reference order, so
      // sorting by (score descending, row) gives score, then query, then reference.
      Arrays.sort(keys);
      int n = Math.min(wanted, total);
      int[] bq = new int[n];
      int[] br = new int[n];
      float[] bs = new float[n];
      for (int i = 0; i < n; i++) {
        int row = (int) keys[i];
        bq[i] = q[row];
        br[i] = r[row];
        bs[i] = sc[row];
      }
      return new Predictions(queryIds, referenceIds, bq, br, bs);
    }
  }

  /** The rows of each query, queries in order of their first row. */
  private static Map<Integer, List<Integer>> rowsByQuery(Predictions predictions) {
    Map<Integer, List<Integer>> rows = new LinkedHashMap<>();
    for (int row = 0; row < predictions.size(); row++) {
      rows.computeIfAbsent(predictions.queryIndex(row), q -> new ArrayList<>()).add(row);
    }
    return rows;
  }
}
