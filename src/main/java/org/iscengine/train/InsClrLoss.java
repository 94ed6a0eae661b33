package org.iscengine.train;

import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.Tensors;

/**
 * InsCLR's contrastive loss on cosine similarities s: every positive pair costs 1 - s (pairs
 * already at s >= 1 - 1e-6 cost nothing), every negative pair costs s when s &gt; margin; the sum
 * over the batch's rows is divided by the number of rows. Rows are the batch's L2-normalised
 * embeddings; columns are the batch itself, then memory-bank rows (constants). Which pairs are
 * positive, negative or left out is given by two masks; the batch's own diagonal must be left
 * out by them. LibTorch ops with autograd; call it
 * inside a {@code PointerScope}, which frees its temporaries.
 */
final class InsClrLoss {
  private static final double SAME = 1 - 1e-6;

  /** The loss, its gradient with respect to the embeddings, and the pairs that cost something. */
  record Value(double loss, Tensor gradient, long activePositives, long activeNegatives) {}

  private final double margin;

  InsClrLoss(double margin) {
    this.margin = margin;
  }

  /**
   * @param embeddings [R, d] float32 embeddings as the head gave them (normalised here)
   * @param memory [M, d] float32 unit rows, or null for none
   * @param positive row-major [R, R + M]: 1 where the pair is positive, else 0
   * @param negative row-major [R, R + M]: 1 where the pair is negative, else 0
   */
  Value evaluate(Tensor embeddings, Tensor memory, float[] positive, float[] negative) {
    long rows = embeddings.size(0);
    long columns = rows + (memory == null ? 0 : memory.size(0));
    if (positive.length != rows * columns || negative.length != rows * columns) {
      throw new IllegalArgumentException("masks must hold " + rows + " x " + columns + " values");
    }
    Tensor leaf = embeddings.detach().requires_grad_(true);
    Tensor unit = Tensors.l2Normalize(leaf);
    Tensor all = memory == null ? unit : torch.cat(new TensorVector(unit, memory.to(unit.device(),
        Tensors.dtype(unit), false, false, new org.bytedeco.pytorch.MemoryFormatOptional())), 0);
    Tensor s = unit.matmul(all.t());
    Tensor pos = HostTensors.tensor(positive, rows, columns).to(s.device(), Tensors.dtype(s), false, false,
        new org.bytedeco.pytorch.MemoryFormatOptional());
    Tensor neg = HostTensors.tensor(negative, rows, columns).to(s.device(), Tensors.dtype(s), false, false,
        new org.bytedeco.pytorch.MemoryFormatOptional());
    Tensor activePos = pos.mul(s.lt(new Scalar(SAME)).to(Tensors.dtype(s)));
    Tensor activeNeg = neg.mul(s.gt(new Scalar(margin)).to(Tensors.dtype(s)));
    Tensor posLoss = activePos.mul(s.neg().add(new Scalar(1.0))).sum();
    Tensor negLoss = activeNeg.mul(s).sum();
    Tensor loss = posLoss.add(negLoss).div(new Scalar((double) rows));
    loss.backward(new Tensor(), new BoolOptional(), false, new TensorArrayRefOptional());
    Tensor gradient = leaf.grad().clone();
    return new Value(loss.item_double(), gradient, (long) activePos.sum().item_double(),
        (long) activeNeg.sum().item_double());
  }
}
