package org.iscengine.hash;

import java.util.ArrayList;
import java.util.List;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.kernels.Metric;
import org.iscengine.match.Matcher;
import org.iscengine.match.Predictions;

/**
 * Each query's nearest references by the Hamming distance of their PDQ hashes, as predictions
 * scored {@code 1 - distance / 256} (1: the same bits, 0.5: unrelated on average, 0: every bit
 * different), higher better, so the ISC21 metric ranks them like any other system's.
 *
 * <p>The search is {@link Matcher}'s exact kNN by inner product on the hashes as +1/-1 vectors
 * ({@link PdqHash#signs}): their inner product is {@code 256 - 2 d}, exactly in float32 (every
 * partial sum is an integer of at most 256), so the order is the Hamming order, equal distances
 * by lower reference index, and the score {@code 1 - d / 256 = 1/2 + ip / 512} is exact too.
 */
public final class PdqMatcher {
  private PdqMatcher() {}

  /** The k nearest references of every query (k at most the number of references and 1024). */
  public static Predictions knn(PdqCsv.Rows queries, PdqCsv.Rows references, int k) {
    try (Descriptors q = signs(queries);
        Descriptors r = signs(references)) {
      Predictions byInnerProduct = new Matcher(Metric.INNER_PRODUCT).knn(q, r, k);
      int n = byInnerProduct.size();
      int[] qi = new int[n];
      int[] ri = new int[n];
      float[] scores = new float[n];
      for (int i = 0; i < n; i++) {
        qi[i] = byInnerProduct.queryIndex(i);
        ri[i] = byInnerProduct.referenceIndex(i);
        scores[i] = 0.5f + byInnerProduct.score(i) / (2f * PdqHash.BITS);
      }
      return new Predictions(byInnerProduct.queryIds(), byInnerProduct.referenceIds(), qi, ri, scores);
    }
  }

  /** The Hamming distance a score of {@link #knn} stands for. */
  public static int distance(float score) {
    return Math.round((1f - score) * PdqHash.BITS);
  }

  private static Descriptors signs(PdqCsv.Rows rows) {
    List<float[]> vectors = new ArrayList<>(rows.size());
    for (PdqHash h : rows.hashes()) {
      vectors.add(h.signs());
    }
    return Descriptors.of(rows.ids(), vectors, PdqHash.BITS);
  }
}
