package org.iscengine.match;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

  /** Each row's rank among its query's rows (1: the highest score; equal scores by row order). */
  public int[] ranks() {
    Map<Integer, List<Integer>> byQuery = new HashMap<>();
    for (int i = 0; i < size(); i++) {
      byQuery.computeIfAbsent(query[i], q -> new ArrayList<>()).add(i);
    }
    int[] rank = new int[size()];
    for (List<Integer> rows : byQuery.values()) {
      rows.sort(Comparator.comparingDouble((Integer i) -> -score[i]).thenComparing(i -> i));
      for (int r = 0; r < rows.size(); r++) {
        rank[rows.get(r)] = r + 1;
      }
    }
    return rank;
  }

  public List<String> queryIds() {
    return queryIds;
  }

  public List<String> referenceIds() {
    return referenceIds;
  }
}
