package org.iscengine.kernels;

import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Brute-force kNN from LibTorch ops: the full score matrix, then a stable sort per query, which
 * orders equal scores by lower id. The reference the kernels are tested against, and the
 * fallback where they cannot run (any floating dtype). Memory grows with nq * nr.
 */
final class ReferenceKnn {
  private ReferenceKnn() {}

  static KnnResult search(Tensor queries, Tensor refs, int k, Metric metric, long firstId) {
    try (Tensor ranking = ranking(queries, refs, metric);
        BoolOptional stable = new BoolOptional(true);
        T_TensorTensor_T sorted = ranking.sort(stable, 1, true);
        Tensor values = new Tensor(sorted.get0());
        Tensor order = new Tensor(sorted.get1());
        Tensor best = values.narrow(1, 0, k);
        Tensor bestRows = order.narrow(1, 0, k);
        Scalar offset = new Scalar(firstId);
        Scalar zero = new Scalar(0.0)) {
      Tensor ids = bestRows.add(offset);
      Tensor scores;
      if (metric == Metric.L2) {
        try (Tensor distances = best.neg()) {
          scores = distances.clamp_min(zero).to(ScalarType.Float);
        }
      } else {
        scores = best.to(ScalarType.Float);
      }
      return new KnnResult(scores, ids);
    }
  }

  /** The best k of two results for the same queries, ordered as the kernels order them. */
  static KnnResult merge(Tensor scoresA, Tensor idsA, Tensor scoresB, Tensor idsB, int k, Metric metric) {
    try (TensorVector scoreParts = new TensorVector(scoresA, scoresB);
        TensorVector idParts = new TensorVector(idsA, idsB);
        Tensor scores = torch.cat(scoreParts, 1);
        Tensor ids = torch.cat(idParts, 1);
        BoolOptional stable = new BoolOptional(true);
        // By id first, so that the stable sort by score leaves equal scores in id order.
        T_TensorTensor_T byId = ids.sort(stable, 1, false);
        Tensor idsSorted = new Tensor(byId.get0());
        Tensor idOrder = new Tensor(byId.get1());
        Tensor scoresById = scores.gather(1, idOrder);
        Tensor ranking = metric == Metric.L2 ? scoresById.neg() : new Tensor(scoresById);
        T_TensorTensor_T byScore = ranking.sort(stable, 1, true);
        Tensor order = new Tensor(byScore.get1());
        Tensor best = order.narrow(1, 0, Math.min(k, order.size(1)))) {
      return new KnnResult(scoresById.gather(1, best), idsSorted.gather(1, best));
    }
  }

  /** Higher is better: q.r, or minus the squared distance. */
  private static Tensor ranking(Tensor queries, Tensor refs, Metric metric) {
    Tensor scores = scoreMatrix(queries, refs, metric);
    if (metric == Metric.INNER_PRODUCT) {
      return scores;
    }
    try (scores) {
      return scores.neg();
    }
  }

  /** [nq, nr] inner products, or squared distances |q|^2 + |r|^2 - 2 q.r clamped at 0. */
  static Tensor scoreMatrix(Tensor queries, Tensor refs, Metric metric) {
    try (Tensor refsT = refs.t();
        Tensor dots = queries.mm(refsT)) {
      if (metric == Metric.INNER_PRODUCT) {
        return new Tensor(dots);
      }
      try (ScalarTypeOptional same = new ScalarTypeOptional();
          Tensor q2 = queries.mul(queries);
          Tensor qn = q2.sum(new long[] {1}, true, same);
          Tensor r2 = refs.mul(refs);
          Tensor rn = r2.sum(new long[] {1}, false, same);
          Scalar two = new Scalar(2.0);
          Tensor twice = dots.mul(two);
          Tensor partial = qn.sub(twice);
          Tensor squared = partial.add(rn);
          Scalar zero = new Scalar(0.0)) {
        return squared.clamp_min(zero);
      }
    }
  }
}
