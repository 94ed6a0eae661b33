package org.iscengine.descriptor;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.kernels.Knn;
import org.iscengine.kernels.KnnResult;
import org.iscengine.kernels.Metric;
import org.iscengine.kernels.TensorChecks;

/**
 * Score normalization: a query's scores are lowered by how similar it is to the training set,
 * score(q, r) = q.r - weight * s(q), s(q) the mean inner product of q with its training
 * neighbours at ranks firstRank..lastRank (0-based, inclusive). It is carried by one extra
 * dimension: q' = [q, -weight s(q)] and r' = [r, 1], so that any inner-product search applies
 * it. The ISC21 baseline uses the n-th neighbour (weight[n-1,n-1]), the matching-track winner
 * the mean of the top 10 with weight 2 (2[0,9]), SSCD the top 3 with weight 1 (1[0,2]).
 */
public record ScoreNormalization(double weight, int firstRank, int lastRank) {
  private static final Pattern SPEC = Pattern.compile("\\s*([-+0-9.eE]+)\\s*\\[\\s*(\\d+)\\s*(?:,\\s*(\\d+)\\s*)?]\\s*");

  public ScoreNormalization {
    if (!Double.isFinite(weight)) {
      throw new IllegalArgumentException("score normalization weight must be finite, got " + weight);
    }
    if (firstRank < 0 || lastRank < firstRank || lastRank >= Knn.MAX_K) {
      throw new IllegalArgumentException("score normalization ranks must satisfy 0 <= first <= last < " + Knn.MAX_K
          + ", got [" + firstRank + ", " + lastRank + "]");
    }
  }

  /** SSCD's default: 1.0[0,2]. */
  public static ScoreNormalization sscd() {
    return new ScoreNormalization(1.0, 0, 2);
  }

  /** The matching-track winner's: factor 2 on the mean of the 10 nearest, 2.0[0,9]. */
  public static ScoreNormalization d2lv() {
    return new ScoreNormalization(2.0, 0, 9);
  }

  /** Parses SSCD's notation, weight[first,last] or weight[rank], e.g. "1.0[0,2]". */
  public static ScoreNormalization parse(String spec) {
    Matcher m = SPEC.matcher(spec);
    if (!m.matches()) {
      throw new IllegalArgumentException("score normalization '" + spec + "' is not of the form weight[first,last],"
          + " e.g. 1.0[0,2]");
    }
    int first = Integer.parseInt(m.group(2));
    int last = m.group(3) == null ? first : Integer.parseInt(m.group(3));
    return new ScoreNormalization(Double.parseDouble(m.group(1)), first, last);
  }

  /** The queries with their extra dimension, [nq, d + 1]. */
  public Tensor queries(Tensor queries, Tensor training) {
    TensorChecks.matrix("queries", queries);
    TensorChecks.matrix("training descriptors", training);
    TensorChecks.sameDimension(queries, training);
    if (lastRank >= training.size(0)) {
      throw new IllegalArgumentException("score normalization uses rank " + lastRank + " but there are only "
          + training.size(0) + " training descriptors");
    }
    try (KnnResult nn = Knn.search(queries, training, lastRank + 1, Metric.INNER_PRODUCT)) {
      return queriesScored(queries, nn.scores());
    }
  }

  /**
   * The queries with their extra dimension, from each query's inner products with its nearest
   * training descriptors, best first ([nq, at least lastRank + 1]).
   */
  public Tensor queriesScored(Tensor queries, Tensor neighbourScores) {
    if (neighbourScores.dim() != 2 || neighbourScores.size(0) != queries.size(0)
        || neighbourScores.size(1) <= lastRank) {
      throw new IllegalArgumentException("score normalization needs each query's " + (lastRank + 1)
          + " best training scores");
    }
    try (Tensor ranks = neighbourScores.narrow(1, firstRank, lastRank - firstRank + 1);
        ScalarTypeOptional same = new ScalarTypeOptional();
        Tensor mean = ranks.mean(new long[] {1}, true, same);
        Scalar factor = new Scalar(-weight);
        Tensor adjustment = mean.mul(factor)) {
      return append(queries, adjustment);
    }
  }

  /** The references with their extra dimension (1), [nr, d + 1]. */
  public static Tensor references(Tensor references) {
    TensorChecks.matrix("references", references);
    try (Tensor ones = references.new_ones(new long[] {references.size(0), 1})) {
      return append(references, ones);
    }
  }

  private static Tensor append(Tensor x, Tensor column) {
    try (TensorVector parts = new TensorVector(x, column)) {
      return torch.cat(parts, 1);
    }
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s[%d,%d]", weight, firstRank, lastRank);
  }
}
