package org.iscengine.spark;

import java.io.Serializable;

/**
 * Every query's best references, k per query, each list best first: higher score first, equal
 * scores by lower reference row (the kernel's order). Lists from disjoint reference shards merge
 * into the best of their union, in the same order, whichever way they are paired; so the shards'
 * lists reduce, in any tree, to the lists of one search over every reference.
 *
 * @param queries number of queries
 * @param k entries per query
 * @param references reference rows (of all reference files, in order), queries x k, row-major
 * @param scores their scores, higher is more similar
 */
record RankedLists(int queries, int k, long[] references, float[] scores) implements Serializable {
  private static final long serialVersionUID = 1L;

  RankedLists {
    if (references.length != (long) queries * k || scores.length != references.length) {
      throw new IllegalArgumentException("ranked lists: " + references.length + " references and " + scores.length
          + " scores for " + queries + " queries x " + k);
    }
  }

  /** Whether (scoreA, referenceA) ranks before (scoreB, referenceB). */
  static boolean before(float scoreA, long referenceA, float scoreB, long referenceB) {
    return scoreA > scoreB || (scoreA == scoreB && referenceA < referenceB);
  }

  /** Each query's best maxK of both (lists of the same queries, from disjoint references). */
  static RankedLists merge(RankedLists a, RankedLists b, int maxK) {
    if (a.queries != b.queries) {
      throw new IllegalArgumentException("ranked lists of " + a.queries + " and " + b.queries + " queries");
    }
    int k = Math.min(maxK, a.k + b.k);
    long[] references = new long[a.queries * k];
    float[] scores = new float[references.length];
    for (int q = 0; q < a.queries; q++) {
      int i = q * a.k;
      int j = q * b.k;
      int endA = i + a.k;
      int endB = j + b.k;
      for (int o = q * k; o < (q + 1) * k; o++) {
        boolean fromA = j == endB || (i < endA && before(a.scores[i], a.references[i], b.scores[j], b.references[j]));
        if (fromA) {
          references[o] = a.references[i];
          scores[o] = a.scores[i++];
        } else {
          references[o] = b.references[j];
          scores[o] = b.scores[j++];
        }
      }
    }
    return new RankedLists(a.queries, k, references, scores);
  }
}
