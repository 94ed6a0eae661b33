package org.iscengine.train;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.kernels.Tensors;

/**
 * SSCD's entropy regularizer (the Kozachenko-Leonenko estimate of differential entropy):
 * {@code -mean_i log(min_j |u_i - u_j|)} over the L2-normalised embeddings u of a batch, j
 * ranging over the other images (views of the same image, sharing a label, are left out). It
 * pushes each descriptor away from its nearest other image, spreading descriptors over the
 * sphere, which is what makes scores comparable across queries (μAP ranks all queries' pairs
 * together).
 */
final class EntropyRegularizer {
  /** Distances are clamped here before the logarithm: no infinite gradient for twins. */
  private static final double MIN_DISTANCE = 1e-4;

  /** cdist's compute_mode that takes differences rather than 2 - 2 u.v (which loses near pairs). */
  private static final long EXACT_DIFFERENCES = 2;

  /** The regularizer's value and its gradient with respect to the (unnormalised) embeddings. */
  record Result(double value, Tensor gradient) {}

  private EntropyRegularizer() {}

  /**
   * @param embeddings [B, d] float, the head's output before normalisation (not modified)
   * @param labels [B] int64, equal for views of one image; some two rows must differ
   */
  static Result of(Tensor embeddings, Tensor labels) {
    if (embeddings.dim() != 2 || labels.dim() != 1 || labels.size(0) != embeddings.size(0)) {
      throw new IllegalArgumentException("embeddings must be [B, d] and labels [B]");
    }
    try (PointerScope scope = new PointerScope();
        AutoGradMode grad = new AutoGradMode(true)) {
      Tensor leaf = embeddings.detach().requires_grad_(true);  // a new leaf: the caller's tensor keeps no grad
      Tensor unit = Tensors.l2Normalize(leaf);
      // Distances from differences: 2 - 2 u_i.u_j cancels to float32 noise exactly for the
      // nearest pairs the minimum picks. Same-image pairs (the diagonal too) get 4, more than
      // any distance between unit rows, so the minimum is over other images.
      Tensor distance = torch.cdist(unit, unit, 2.0, new LongOptional(EXACT_DIFFERENCES));
      Tensor same = labels.unsqueeze(1).eq(labels.unsqueeze(0));
      if (same.all().item_bool()) {
        throw new IllegalArgumentException("the entropy regularizer needs at least two different images");
      }
      Tensor nearest = distance.masked_fill(same, new Scalar(4.0)).amin(new long[] {1}, false)
          .clamp_min(new Scalar(MIN_DISTANCE));
      Tensor value = nearest.log().mean().neg();
      value.backward(Tensors.scalarLike(value, 1.0), new BoolOptional(false), false, new TensorArrayRefOptional());
      Tensor gradient = leaf.grad().detach().clone();
      gradient.retainReference();
      return new Result(value.item_double(), gradient);
    }
  }
}
