package org.iscengine.train;

import java.util.Locale;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.model.DescriptorModel;

/**
 * Notices the failure the seeds' users reported: a model that gives every image (nearly) the
 * same descriptor. Descriptors of a fixed probe batch (inference mode, as they will be used) are
 * compared pairwise; a mean cosine similarity above the threshold means collapse. The loss alone
 * does not show it: with a memory bank it can sit at a plausible value while nothing is learned.
 */
final class CollapseDetector {
  /**
   * Mean pairwise cosine similarity of probe descriptors above which the model has collapsed. An
   * untrained network can already reach 0.98 on similar images, so only near-identity counts.
   */
  static final double THRESHOLD = 0.999;

  private CollapseDetector() {}

  /** Mean cosine similarity between the descriptors of different probe images. */
  static double meanCosine(DescriptorModel model, Tensor probe) {
    try (Tensor d = model.describe(probe);
        Tensor t = d.t();
        Tensor s = d.mm(t);
        Tensor total = s.sum()) {
      long n = d.size(0);
      double trace = n;  // unit-norm rows
      return (total.item_double() - trace) / (n * (n - 1));
    }
  }

  /** Throws when the probe descriptors have collapsed; returns their mean cosine otherwise. */
  static double check(DescriptorModel model, Tensor probe, String stage, long step, double lr) {
    double cos = meanCosine(model, probe);
    if (!(cos < THRESHOLD)) {  // NaN too
      throw new TrainingCollapsedException(String.format(Locale.ROOT,
          "training collapsed at stage %s, step %d: descriptors of different images are nearly identical (mean"
              + " cosine similarity %.5f >= %.3f). The usual cause is a learning rate too high for the batch size"
              + " (lr now %.4g): lower lr in the recipe (e.g. by 5-10x) or lengthen warmupSteps, then start again"
              + " from the last good checkpoint or from scratch.", stage, step, cos, THRESHOLD, lr));
    }
    return cos;
  }
}
