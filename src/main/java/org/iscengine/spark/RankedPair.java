package org.iscengine.spark;

import java.io.Serializable;
import java.util.Comparator;

/**
 * A (query, reference) pair of the global best pairs, in the order {@code isc match} writes them:
 * higher score first, then lower query, then lower reference row.
 *
 * @param query query row
 * @param reference reference row (of all reference files, in order)
 * @param score higher is more similar
 */
record RankedPair(int query, long reference, float score) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Best first; -0.0 and 0.0 are one score, as in the matcher. */
  static final class Order implements Comparator<RankedPair>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public int compare(RankedPair a, RankedPair b) {
      int byScore = Float.compare(b.score + 0.0f, a.score + 0.0f);
      if (byScore != 0) {
        return byScore;
      }
      return a.query != b.query ? Integer.compare(a.query, b.query) : Long.compare(a.reference, b.reference);
    }
  }
}
