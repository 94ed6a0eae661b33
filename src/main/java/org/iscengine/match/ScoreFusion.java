package org.iscengine.match;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Several systems' predictions (other models, other scales) fused into one ranking, pair by pair,
 * as the matching-track winner fused the score matrices of its 33 models.
 *
 * <p>A system lists only its best pairs, so a pair another system found may be missing from it.
 * {@link Rule#MEAN} then counts, for that system, the lowest score it gave the same query (what the
 * pair scored at most, had it been listed), or its lowest score of all when it listed nothing for
 * that query; {@link Rule#MAX} ignores the absence; {@link Rule#RECIPROCAL_RANK} counts nothing.
 */
public final class ScoreFusion {
  /** How the systems' scores of a pair make one. */
  public enum Rule {
    /** Weighted mean of the scores: for systems whose scores are on one scale (inner products of unit descriptors). */
    MEAN,
    /** The highest weighted score. */
    MAX,
    /**
     * Sum over systems of weight / (60 + the pair's rank among its query's pairs): scale-free, but
     * every query's first answer scores alike, so it orders each query's pairs, not the queries
     * against each other as the global ranking of μAP needs.
     */
    RECIPROCAL_RANK
  }

  /** The constant of reciprocal-rank fusion (Cormack et al.): ranks 1 and 2 weigh nearly alike. */
  static final int RANK_CONSTANT = 60;

  private ScoreFusion() {}

  /**
   * The fused predictions, best first, at most maxResults (0: all pairs any system listed).
   *
   * @param weights one per system, each > 0
   */
  public static Predictions fuse(List<Predictions> systems, double[] weights, Rule rule, int maxResults) {
    if (systems.size() < 2 || weights.length != systems.size()) {
      throw new IllegalArgumentException("fusion needs two or more systems and one weight each; got " + systems.size()
          + " systems and " + weights.length + " weights");
    }
    if (Arrays.stream(weights).anyMatch(w -> !(w > 0) || Double.isInfinite(w))) {
      throw new IllegalArgumentException("fusion weights must be finite and > 0, got " + Arrays.toString(weights));
    }
    if (maxResults < 0) {
      throw new IllegalArgumentException("maxResults must be >= 0, got " + maxResults);
    }
    int n = systems.size();
    PairTable table = new PairTable(n);
    List<Map<String, Float>> floors = new ArrayList<>();
    double[] lowest = new double[n];
    for (int s = 0; s < n; s++) {
      Predictions p = systems.get(s);
      int[] ranked = rule == Rule.RECIPROCAL_RANK ? p.ranks() : null;
      Map<String, Float> floor = new HashMap<>();
      lowest[s] = Double.POSITIVE_INFINITY;
      for (int i = 0; i < p.size(); i++) {
        double v = rule == Rule.RECIPROCAL_RANK ? 1.0 / (RANK_CONSTANT + ranked[i]) : p.score(i);
        table.pair(p.queryId(i), p.referenceId(i), Double.NaN)[s] = v;
        floor.merge(p.queryId(i), p.score(i), Math::min);
        lowest[s] = Math.min(lowest[s], p.score(i));
      }
      floors.add(floor);
    }
    return switch (rule) {
      case MEAN -> {
        double total = Arrays.stream(weights).sum();
        // Missing values need the pair's query: fill them while the table still knows it.
        fillMissing(systems, table, floors, lowest);
        yield table.predictions(v -> {
          double sum = 0;
          for (int s = 0; s < n; s++) {
            sum += weights[s] * v[s];
          }
          return sum / total;
        }, maxResults);
      }
      case MAX -> table.predictions(v -> {
        double best = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < n; s++) {
          if (!Double.isNaN(v[s])) {
            best = Math.max(best, weights[s] * v[s]);
          }
        }
        return best;
      }, maxResults);
      case RECIPROCAL_RANK -> table.predictions(v -> {
        double sum = 0;
        for (int s = 0; s < n; s++) {
          sum += Double.isNaN(v[s]) ? 0 : weights[s] * v[s];
        }
        return sum;
      }, maxResults);
    };
  }

  /** Each system's missing scores: its lowest for the same query, or its lowest of all. */
  private static void fillMissing(List<Predictions> systems, PairTable table, List<Map<String, Float>> floors,
      double[] lowest) {
    for (PairTable.Entry e : table.entries()) {
      for (int s = 0; s < systems.size(); s++) {
        if (Double.isNaN(e.values()[s])) {
          Float floor = floors.get(s).get(e.query());
          e.values()[s] = floor != null ? floor : lowest[s];
        }
      }
    }
  }
}
