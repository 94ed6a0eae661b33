package org.iscengine.train;

import org.bytedeco.pytorch.Tensor;
import org.iscengine.kernels.KnnPrecision;
import org.iscengine.kernels.Metric;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.search.ExactIndex;
import org.iscengine.search.Neighbors;

/**
 * InsCLR's candidate pool: for every image of the training pool, its k most similar other images
 * by the inner product of the previous stage's unit descriptors (cosine similarity), most
 * similar first, equal similarities by lower index. Exact, by the project's kNN kernel. Rows are
 * the images in the order of the descriptor matrix; ids index the same rows.
 */
public record CandidatePool(int images, int k, int[] ids, float[] similarities) {
  /** Queries searched per kernel call, bounding the memory of one call's results. */
  private static final int QUERY_CHUNK = 4096;

  public CandidatePool {
    if (images < 2 || k < 1 || k >= images) {
      throw new IllegalArgumentException("a candidate pool needs at least 2 images and 1 <= k < images; got "
          + images + " images, k = " + k);
    }
    if (ids.length != (long) images * k || similarities.length != ids.length) {
      throw new IllegalArgumentException("ids and similarities must hold images * k = " + (long) images * k
          + " values");
    }
  }

  /**
   * The pool of every row of features [n, d] (float32, any device): its k nearest other rows.
   *
   * @throws IllegalArgumentException when k is not in [1, n - 1]
   */
  public static CandidatePool of(Tensor features, int k, ComputeDevice device) {
    if (features.dim() != 2) {
      throw new IllegalArgumentException("features must be a matrix [images, dimension]");
    }
    int n = (int) features.size(0);
    if (k < 1 || k >= n) {
      throw new IllegalArgumentException("candidate pool size k must be in [1, " + (n - 1) + "] for " + n
          + " images, got " + k);
    }
    int[] ids = new int[n * k];
    float[] sims = new float[n * k];
    try (ExactIndex index = new ExactIndex((int) features.size(1), Metric.INNER_PRODUCT, device, KnnPrecision.FP32)) {
      index.add(features);
      for (int from = 0; from < n; from += QUERY_CHUNK) {
        int rows = Math.min(QUERY_CHUNK, n - from);
        Neighbors found;
        try (Tensor chunk = features.narrow(0, from, rows)) {
          found = index.search(chunk, k + 1);  // one more: the image itself is dropped
        }
        for (int q = 0; q < rows; q++) {
          withoutSelf(found, q, from + q, k, ids, sims, (from + q) * k);
        }
      }
    }
    return new CandidatePool(n, k, ids, sims);
  }

  /**
   * Copies query q's k + 1 neighbours less the image itself. An image ties with its duplicates;
   * when k + 1 others come first (lower ids at the same similarity), it is not among them and the
   * last one goes instead.
   */
  private static void withoutSelf(Neighbors found, int q, int self, int k, int[] ids, float[] sims, int at) {
    int out = 0;
    for (int r = 0; r <= k && out < k; r++) {
      long id = found.id(q, r);
      if (id == self) {
        continue;
      }
      if (id < 0) {
        throw new IllegalStateException("the kNN search returned fewer than " + (k + 1) + " neighbours");
      }
      ids[at + out] = (int) id;
      sims[at + out] = found.score(q, r);
      out++;
    }
  }

  /** The id of image's candidate of this rank (0: most similar). */
  public int id(int image, int rank) {
    return ids[image * k + rank];
  }

  /** The similarity of image's candidate of this rank. */
  public float similarity(int image, int rank) {
    return similarities[image * k + rank];
  }
}
