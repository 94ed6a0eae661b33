package org.iscengine.eval;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.iscengine.match.Predictions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates predictions against the ISC21 ground truth exactly as the challenge did: rows sorted
 * by score, false positives first among equal scores (the worst case), predictions of distractor
 * queries counted as false positives, a duplicate (query, reference) row an error, and rows of
 * queries outside the ground truth ignored with a warning.
 */
public final class IscEvaluation {
  private static final Logger log = LoggerFactory.getLogger(IscEvaluation.class);

  private IscEvaluation() {}

  /** The metrics and the precision-recall curve. */
  public record Result(IscMetrics metrics, PrCurve curve) {}

  public static Result evaluate(Predictions predictions, GroundTruth truth) {
    int rows = predictions.size();
    int nq = predictions.queryIds().size();
    boolean[] known = new boolean[nq];
    for (int q = 0; q < nq; q++) {
      known[q] = truth.queries().contains(predictions.queryIds().get(q));
    }
    rejectDuplicates(predictions);

    // Keys sort by score descending, then false positives (bit 0) before true ones (bit 1).
    long[] keys = new long[rows];
    int kept = 0;
    int truePositives = 0;
    for (int i = 0; i < rows; i++) {
      if (!known[predictions.queryIndex(i)]) {
        continue;
      }
      boolean positive = truth.isMatch(predictions.queryId(i), predictions.referenceId(i));
      truePositives += positive ? 1 : 0;
      keys[kept++] = ((long) descending(predictions.score(i)) << 32) | (positive ? 1 : 0);
    }
    int ignored = rows - kept;
    if (ignored > 0) {
      log.warn("{} predictions are for queries absent from the ground truth: ignored", ignored);
    }
    keys = Arrays.copyOf(keys, kept);
    Arrays.sort(keys);

    int matches = truth.matches().size();
    float[] precision = new float[kept];
    float[] recall = new float[kept];
    float[] threshold = new float[kept];
    double ap = 0;
    int tp = 0;
    Double recallAtP90 = null;
    Double thresholdAtP90 = null;
    for (int i = 0; i < kept; i++) {
      boolean hit = (keys[i] & 1) != 0;
      if (hit) {
        tp++;
      }
      double p = (double) tp / (i + 1);
      double r = matches == 0 ? 0 : (double) tp / matches;
      if (hit) {
        ap += p / matches;
      }
      precision[i] = (float) p;
      recall[i] = (float) r;
      threshold[i] = score((int) (keys[i] >> 32));
      if (p >= 0.9 && (recallAtP90 == null || r > recallAtP90)) {
        recallAtP90 = r;
        thresholdAtP90 = (double) threshold[i];
      }
    }
    double[] rankRecalls = rankRecalls(predictions, truth, known);
    IscMetrics metrics = new IscMetrics(ap, recallAtP90, thresholdAtP90, rankRecalls[0], rankRecalls[1], matches,
        kept, truePositives, ignored);
    return new Result(metrics, new PrCurve(precision, recall, threshold));
  }

  /**
   * Shares of ground-truth matches at rank 0 and below rank 10 of their query's predictions, a
   * match's rank being the number of that query's other predictions scoring at least as high.
   */
  private static double[] rankRecalls(Predictions predictions, GroundTruth truth, boolean[] known) {
    int nq = predictions.queryIds().size();
    int[] start = new int[nq + 1];
    for (int i = 0; i < predictions.size(); i++) {
      start[predictions.queryIndex(i) + 1]++;
    }
    for (int q = 0; q < nq; q++) {
      start[q + 1] += start[q];
    }
    int[] byQuery = new int[predictions.size()];
    int[] fill = Arrays.copyOf(start, nq);
    for (int i = 0; i < predictions.size(); i++) {
      byQuery[fill[predictions.queryIndex(i)]++] = i;
    }
    Map<String, Integer> queryIndex = new HashMap<>();
    for (int q = 0; q < nq; q++) {
      if (known[q]) {
        queryIndex.put(predictions.queryIds().get(q), q);
      }
    }
    List<GroundTruth.Match> matches = truth.matches();
    if (matches.isEmpty()) {
      return new double[] {0, 0};
    }
    int first = 0;
    int topTen = 0;
    for (GroundTruth.Match m : matches) {
      Integer q = queryIndex.get(m.query());
      if (q == null) {
        continue;
      }
      float hitScore = Float.NaN;
      for (int k = start[q]; k < start[q + 1]; k++) {
        if (predictions.referenceId(byQuery[k]).equals(m.reference())) {
          hitScore = predictions.score(byQuery[k]);
          break;
        }
      }
      if (Float.isNaN(hitScore)) {
        continue;
      }
      int rank = -1;
      for (int k = start[q]; k < start[q + 1]; k++) {
        if (predictions.score(byQuery[k]) >= hitScore) {
          rank++;
        }
      }
      first += rank == 0 ? 1 : 0;
      topTen += rank < 10 ? 1 : 0;
    }
    return new double[] {(double) first / matches.size(), (double) topTen / matches.size()};
  }

  private static void rejectDuplicates(Predictions predictions) {
    int nr = predictions.referenceIds().size();
    long[] pairs = new long[predictions.size()];
    for (int i = 0; i < pairs.length; i++) {
      pairs[i] = (long) predictions.queryIndex(i) * nr + predictions.referenceIndex(i);
    }
    Arrays.sort(pairs);
    for (int i = 1; i < pairs.length; i++) {
      if (pairs[i] == pairs[i - 1]) {
        String q = predictions.queryIds().get((int) (pairs[i] / nr));
        String r = predictions.referenceIds().get((int) (pairs[i] % nr));
        throw new IllegalArgumentException("the predictions hold the pair " + q + "," + r
            + " more than once; each (query, reference) pair may appear only once");
      }
    }
  }

  /** An int ordering floats descending (as signed ints); -0.0 counts as 0.0. */
  private static int descending(float score) {
    int bits = Float.floatToIntBits(score + 0.0f);
    return ~(bits < 0 ? bits ^ 0x7fffffff : bits);
  }

  private static float score(int descending) {
    int ascending = ~descending;
    return Float.intBitsToFloat(ascending < 0 ? ascending ^ 0x7fffffff : ascending);
  }
}
