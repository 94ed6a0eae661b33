package org.iscengine.spark;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One query's best references, best first: higher score first, equal scores by lower reference
 * index (the kernel's order). Lists from disjoint reference shards merge into the best k of
 * their union, in the same order, whichever way they are paired.
 *
 * @param references reference indexes (rows of all reference files, in order)
 * @param ids their ids
 * @param scores their scores, higher is more similar
 */
record RankedHits(long[] references, String[] ids, float[] scores) implements Serializable {
  private static final long serialVersionUID = 1L;

  RankedHits {
    if (references.length != ids.length || references.length != scores.length) {
      throw new IllegalArgumentException("ranked hits: columns of different lengths");
    }
  }

  int size() {
    return scores.length;
  }

  /** Whether hit i of a ranks before hit j of b. */
  static boolean before(float scoreA, long referenceA, float scoreB, long referenceB) {
    return scoreA > scoreB || (scoreA == scoreB && referenceA < referenceB);
  }

  /** The best k of both lists (each sorted, from disjoint references), sorted. */
  static RankedHits merge(RankedHits a, RankedHits b, int k) {
    int n = Math.min(k, a.size() + b.size());
    long[] refs = new long[n];
    String[] ids = new String[n];
    float[] scores = new float[n];
    int i = 0;
    int j = 0;
    for (int o = 0; o < n; o++) {
      boolean takeA = j == b.size()
          || (i < a.size() && before(a.scores[i], a.references[i], b.scores[j], b.references[j]));
      RankedHits from = takeA ? a : b;
      int at = takeA ? i++ : j++;
      refs[o] = from.references[at];
      ids[o] = from.ids[at];
      scores[o] = from.scores[at];
    }
    return new RankedHits(refs, ids, scores);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RankedHits h && Arrays.equals(references, h.references) && Arrays.equals(ids, h.ids)
        && Arrays.equals(scores, h.scores);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(references);
  }

  @Override
  public String toString() {
    return "RankedHits" + Arrays.toString(references) + Arrays.toString(scores);
  }
}
