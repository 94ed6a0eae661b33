package org.iscengine.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.iscengine.match.Predictions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revisited Oxford/Paris evaluation (the revisitop protocol): per query, the database ranked by
 * score; junk images removed; average precision by the trapezoidal rule over the positives'
 * ranks, and precision at 1, 5 and 10 (revisitop's mP@k, where k shrinks to the last positive's
 * rank when that is smaller). Three protocols: Easy (positives: easy; junk: junk + hard), Medium
 * (positives: easy + hard; junk: junk) and Hard (positives: hard; junk: junk + easy). Queries
 * without positives in a protocol are left out of its means.
 *
 * <p>Predictions name queries by qimlist entries and references by imlist entries. Equal scores
 * count in the worst order (negatives first), and database images a query did not score come
 * after all scored ones, positives last.
 */
public final class RevisitedEvaluation {
  private static final Logger log = LoggerFactory.getLogger(RevisitedEvaluation.class);

  /** The k of precision at k. */
  public static final int[] KAPPAS = {1, 5, 10};

  public enum Protocol { EASY, MEDIUM, HARD }

  /** One protocol's means over its queries with positives. */
  public record ProtocolMetrics(double meanAveragePrecision, double[] meanPrecisionAt, int queries) {}

  private RevisitedEvaluation() {}

  public static Map<Protocol, ProtocolMetrics> evaluate(Predictions predictions, RevisitedGroundTruth truth) {
    Map<String, Integer> imageIndex = index(truth.images());
    Map<String, Integer> queryIndex = index(truth.queries());
    int nDb = truth.images().size();
    // Per query: database image -> score (NaN: not scored).
    float[][] scores = new float[truth.queries().size()][];
    int ignored = 0;
    int[] imageOfReference = new int[predictions.referenceIds().size()];
    for (int r = 0; r < imageOfReference.length; r++) {
      Integer i = imageIndex.get(predictions.referenceIds().get(r));
      if (i == null) {
        throw new IllegalArgumentException("prediction reference '" + predictions.referenceIds().get(r)
            + "' is not an image of the ground truth's imlist");
      }
      imageOfReference[r] = i;
    }
    for (int row = 0; row < predictions.size(); row++) {
      Integer q = queryIndex.get(predictions.queryId(row));
      if (q == null) {
        ignored++;
        continue;
      }
      if (scores[q] == null) {
        scores[q] = new float[nDb];
        Arrays.fill(scores[q], Float.NaN);
      }
      int image = imageOfReference[predictions.referenceIndex(row)];
      if (!Float.isNaN(scores[q][image])) {
        throw new IllegalArgumentException("the predictions hold the pair " + predictions.queryId(row) + ","
            + predictions.referenceId(row) + " more than once");
      }
      scores[q][image] = predictions.score(row);
    }
    if (ignored > 0) {
      log.warn("{} predictions are for queries absent from the ground truth: ignored", ignored);
    }
    Map<Protocol, ProtocolMetrics> out = new java.util.EnumMap<>(Protocol.class);
    for (Protocol protocol : Protocol.values()) {
      out.put(protocol, evaluate(protocol, scores, truth));
    }
    return out;
  }

  private static ProtocolMetrics evaluate(Protocol protocol, float[][] scores, RevisitedGroundTruth truth) {
    int nDb = truth.images().size();
    double apSum = 0;
    double[] prSum = new double[KAPPAS.length];
    int counted = 0;
    for (int q = 0; q < truth.queries().size(); q++) {
      RevisitedGroundTruth.Entry e = truth.entries().get(q);
      int[] ok = switch (protocol) {
        case EASY -> e.easy();
        case MEDIUM -> concat(e.easy(), e.hard());
        case HARD -> e.hard();
      };
      int[] junk = switch (protocol) {
        case EASY -> concat(e.junk(), e.hard());
        case MEDIUM -> e.junk();
        case HARD -> concat(e.junk(), e.easy());
      };
      if (ok.length == 0) {
        continue;
      }
      boolean[] positive = mark(ok, nDb);
      boolean[] isJunk = mark(junk, nDb);
      int[] ranks = positiveRanks(scores[q], positive, isJunk);
      apSum += averagePrecision(ranks, ok.length);
      for (int k = 0; k < KAPPAS.length; k++) {
        prSum[k] += precisionAt(ranks, KAPPAS[k]);
      }
      counted++;
    }
    double[] meanPr = new double[KAPPAS.length];
    for (int k = 0; k < KAPPAS.length; k++) {
      meanPr[k] = counted == 0 ? 0 : prSum[k] / counted;
    }
    return new ProtocolMetrics(counted == 0 ? 0 : apSum / counted, meanPr, counted);
  }

  /** 0-based ranks of the positives once junk is removed, ascending. */
  static int[] positiveRanks(float[] scores, boolean[] positive, boolean[] junk) {
    int nDb = positive.length;
    List<Integer> order = new ArrayList<>(nDb);
    for (int i = 0; i < nDb; i++) {
      order.add(i);
    }
    order.sort((a, b) -> {
      boolean sa = scores != null && !Float.isNaN(scores[a]);
      boolean sb = scores != null && !Float.isNaN(scores[b]);
      if (sa != sb) {
        return sa ? -1 : 1;  // scored images first
      }
      if (sa) {
        int c = Float.compare(scores[b], scores[a]);
        if (c != 0) {
          return c;
        }
      }
      return Boolean.compare(positive[a], positive[b]);  // worst case: negatives first
    });
    int[] ranks = new int[nDb];
    int count = 0;
    int position = 0;
    for (int image : order) {
      if (junk[image] && !positive[image]) {
        continue;
      }
      if (positive[image]) {
        ranks[count++] = position;
      }
      position++;
    }
    return Arrays.copyOf(ranks, count);
  }

  /** revisitop's average precision: trapezoids between the precision before and at each positive. */
  static double averagePrecision(int[] ranks, int positives) {
    double ap = 0;
    double step = 1.0 / positives;
    for (int j = 0; j < ranks.length; j++) {
      double before = ranks[j] == 0 ? 1.0 : (double) j / ranks[j];
      double at = (double) (j + 1) / (ranks[j] + 1);
      ap += (before + at) * step / 2;
    }
    return ap;
  }

  /** revisitop's precision at k: k shrinks to the last positive's (1-based) rank if smaller. */
  static double precisionAt(int[] ranks, int k) {
    int last = ranks[ranks.length - 1] + 1;
    int kq = Math.min(last, k);
    int within = 0;
    for (int r : ranks) {
      within += r + 1 <= kq ? 1 : 0;
    }
    return (double) within / kq;
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static boolean[] mark(int[] indices, int n) {
    boolean[] m = new boolean[n];
    for (int i : indices) {
      m[i] = true;
    }
    return m;
  }

  private static Map<String, Integer> index(List<String> names) {
    Map<String, Integer> m = new HashMap<>();
    for (int i = 0; i < names.size(); i++) {
      m.put(names.get(i), i);
    }
    return m;
  }
}
