package org.iscengine.match;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores by (query id, reference id), gathered from several sources and combined pair by pair:
 * what fusing systems and folding parts into whole images both come down to.
 */
final class PairTable {
  private final Map<String, Integer> queries = new LinkedHashMap<>();
  private final Map<String, Integer> references = new LinkedHashMap<>();
  private final Map<Long, double[]> values = new HashMap<>();
  private final int slots;

  /** A table with {@code slots} values per pair (one per source, or one running value). */
  PairTable(int slots) {
    this.slots = slots;
  }

  /** The values of a pair, created (filled with fill) on first use. */
  double[] pair(String query, String reference, double fill) {
    int q = queries.computeIfAbsent(query, k -> queries.size());
    int r = references.computeIfAbsent(reference, k -> references.size());
    return values.computeIfAbsent(((long) q << 32) | r, k -> {
      double[] v = new double[slots];
      Arrays.fill(v, fill);
      return v;
    });
  }

  /** A pair's query and values. */
  record Entry(String query, double[] values) {}

  /** Every pair with its query, so that values can be completed before scoring. */
  List<Entry> entries() {
    List<String> ids = List.copyOf(queries.keySet());
    List<Entry> out = new ArrayList<>(values.size());
    values.forEach((key, v) -> out.add(new Entry(ids.get((int) (key >>> 32)), v)));
    return out;
  }

  /** Predictions with one score per pair (from its values), best first, at most maxResults (0: all). */
  Predictions predictions(java.util.function.ToDoubleFunction<double[]> score, int maxResults) {
    List<long[]> rows = new ArrayList<>(values.size());
    float[] scores = new float[values.size()];
    int i = 0;
    for (Map.Entry<Long, double[]> e : values.entrySet()) {
      rows.add(new long[] {e.getKey() >>> 32, e.getKey() & 0xffffffffL, i});
      scores[i++] = (float) score.applyAsDouble(e.getValue());
    }
    List<String> queryIds = List.copyOf(queries.keySet());
    List<String> referenceIds = List.copyOf(references.keySet());
    // Best first; ties by ids, so that the output does not depend on hash order.
    rows.sort((a, b) -> {
      int c = Float.compare(scores[(int) b[2]], scores[(int) a[2]]);
      if (c == 0) {
        c = queryIds.get((int) a[0]).compareTo(queryIds.get((int) b[0]));
      }
      return c != 0 ? c : referenceIds.get((int) a[1]).compareTo(referenceIds.get((int) b[1]));
    });
    int n = maxResults > 0 ? Math.min(maxResults, rows.size()) : rows.size();
    int[] q = new int[n];
    int[] r = new int[n];
    float[] s = new float[n];
    for (int j = 0; j < n; j++) {
      long[] row = rows.get(j);
      q[j] = (int) row[0];
      r[j] = (int) row[1];
      s[j] = scores[(int) row[2]];
    }
    return new Predictions(queryIds, referenceIds, q, r, s);
  }
}
