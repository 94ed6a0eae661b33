package org.iscengine.match;

import java.util.List;

/**
 * (query, reference, score) rows, higher score = more similar, stored by columns: row i pairs
 * queryIds[query[i]] with referenceIds[reference[i]]. Immutable (the arrays are not copied: do not
 * modify them after construction).
 */
public final class Predictions {
  private final List<String> queryIds;
  private final List<String> referenceIds;
  private final int[] query;
  private final int[] reference;
  private final float[] score;

  public Predictions(List<String> queryIds, List<String> referenceIds, int[] query, int[] reference, float[] score) {
    if (query.length != reference.length || query.length != score.length) {
      throw new IllegalArgumentException("predictions: columns of different lengths " + query.length + ", "
          + reference.length + ", " + score.length);
    }
    this.queryIds = List.copyOf(queryIds);
    this.referenceIds = List.copyOf(referenceIds);
    this.query = query;
    this.reference = reference;
    this.score = score;
    for (int i = 0; i < query.length; i++) {
      if (query[i] < 0 || query[i] >= queryIds.size() || reference[i] < 0 || reference[i] >= referenceIds.size()) {
        throw new IllegalArgumentException("predictions: row " + i + " points outside the id tables");
      }
    }
  }

  public int size() {
    return score.length;
  }

  public String queryId(int row) {
    return queryIds.get(query[row]);
  }

  public String referenceId(int row) {
    return referenceIds.get(reference[row]);
  }

  public float score(int row) {
    return score[row];
  }

  /** Index of the row's query in {@link #queryIds()}. */
  public int queryIndex(int row) {
    return query[row];
  }

  public int referenceIndex(int row) {
    return reference[row];
  }

  public List<String> queryIds() {
    return queryIds;
  }

  public List<String> referenceIds() {
    return referenceIds;
  }
}
