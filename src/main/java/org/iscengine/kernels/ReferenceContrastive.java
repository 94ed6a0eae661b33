package org.iscengine.kernels;

import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch;

/**
 * The memory-bank contrastive loss from LibTorch ops, with masks in place of the pair lists of
 * pytorch-metric-learning (same values), and autograd for the gradient. Works in the dtype of the
 * embeddings, so float64 gives the tests their reference.
 */
final class ReferenceContrastive implements ContrastiveForward.Saved {

  private final Tensor input;
  private final Tensor loss;

  private ReferenceContrastive(Tensor input, Tensor loss) {
    this.input = input;
    this.loss = loss;
  }

  static ContrastiveForward forward(Tensor embeddings, Tensor labels, MemoryBank bank, long[] slotIds, long rows,
      double posMargin, double negMargin) {
    try (AutoGradMode grad = new AutoGradMode(true);
        Tensor detached = embeddings.detach();
        Tensor leafView = detached.requires_grad_(true);
        Tensor slots = Tensors.longsLike(embeddings, slotIds);
        Tensor unit = Tensors.l2Normalize(leafView)) {
      Tensor leaf = new Tensor(leafView);
      enqueue(bank, unit, labels, slots);
      try (Tensor memory = bank.embeddings().narrow(0, 0, rows).to(Tensors.dtype(embeddings));
          Tensor memoryLabels = bank.labels().narrow(0, 0, rows);
          Tensor distances = distances(unit, memory);
          Tensor labelColumn = labels.unsqueeze(1);
          Tensor labelRow = memoryLabels.unsqueeze(0);
          Tensor same = labelColumn.eq(labelRow);
          Device device = distances.device();
          TensorOptions longs = Tensors.options(device, ScalarType.Long);
          Scalar rowCount = new Scalar(rows);
          Tensor rowIds = torch.arange(rowCount, longs);
          Tensor rowIdRow = rowIds.unsqueeze(0);
          Tensor slotColumn = slots.unsqueeze(1);
          Tensor own = rowIdRow.eq(slotColumn);
          Tensor notOwn = own.logical_not();
          Tensor positive = same.logical_and(notOwn);
          Tensor negative = same.logical_not();
          Scalar pm = new Scalar(posMargin);
          Scalar nm = new Scalar(negMargin);
          Tensor posGap = distances.sub(pm);
          Tensor posRelu = posGap.relu();
          Tensor posTerms = posRelu.mul(positive);
          Tensor negGap = distances.neg().add(nm);
          Tensor negRelu = negGap.relu();
          Tensor negTerms = negRelu.mul(negative)) {
        long activePos = countPositive(posTerms);
        long activeNeg = countPositive(negTerms);
        try (Tensor posSum = posTerms.sum();
            Tensor negSum = negTerms.sum();
            Scalar posCount = new Scalar((double) Math.max(activePos, 1));
            Scalar negCount = new Scalar((double) Math.max(activeNeg, 1));
            Tensor posLoss = posSum.div(posCount);
            Tensor negLoss = negSum.div(negCount)) {
          Tensor loss = posLoss.add(negLoss);
          ContrastiveStats stats = new ContrastiveStats(loss.item_double(), posLoss.item_double(),
              negLoss.item_double(), activePos, activeNeg, count(positive), count(negative));
          return new ContrastiveForward(stats, new ReferenceContrastive(leaf, loss));
        }
      }
    }
  }

  @Override
  public Tensor backward(double gradLoss) {
    try (AutoGradMode grad = new AutoGradMode(true);
        Tensor upstream = Tensors.scalarLike(loss, gradLoss);
        BoolOptional keepGraph = new BoolOptional(true);
        TensorArrayRefOptional inputs = new TensorArrayRefOptional();
        Tensor g = input.grad()) {
      // Repeated backward calls would accumulate: start from zero each time.
      if (g.defined()) {
        g.zero_();
      }
      loss.backward(upstream, keepGraph, false, inputs);
      try (Tensor result = input.grad()) {
        return result.to(ScalarType.Float);
      }
    }
  }

  @Override
  public void close() {
    input.close();
    loss.close();
  }

  /** sqrt(max(|x|^2 + |m|^2 - 2 x.m, 0)), with a zero gradient where it is clamped. */
  private static Tensor distances(Tensor unit, Tensor memory) {
    try (ScalarTypeOptional same = new ScalarTypeOptional();
        Tensor x2 = unit.mul(unit);
        Tensor a = x2.sum(new long[] {1}, true, same);
        Tensor m2 = memory.mul(memory);
        Tensor b = m2.sum(new long[] {1}, false, same);
        Tensor bRow = b.unsqueeze(0);
        Tensor memoryT = memory.t();
        Tensor dots = unit.mm(memoryT);
        Scalar two = new Scalar(2.0);
        Tensor twice = dots.mul(two);
        Tensor ab = a.add(bRow);
        Tensor squared = ab.sub(twice);
        Scalar zero = new Scalar(0.0);
        Tensor positive = squared.gt(zero);
        Tensor ones = torch.ones_like(squared);
        Tensor safe = torch.where(positive, squared, ones);
        Tensor root = safe.sqrt();
        Tensor zeros = torch.zeros_like(squared)) {
      return torch.where(positive, root, zeros);
    }
  }

  /** Bank rows slots[i] := unit[i] (detached) and labels[i]. */
  private static void enqueue(MemoryBank bank, Tensor unit, Tensor labels, Tensor slots) {
    try (NoGradGuard noGrad = new NoGradGuard();
        Tensor detached = unit.detach();
        Tensor rows = detached.to(ScalarType.Float)) {
      bank.embeddings().index_copy_(0, slots, rows);
      bank.labels().index_copy_(0, slots, labels);
    }
  }

  private static long countPositive(Tensor terms) {
    try (Scalar zero = new Scalar(0.0);
        Tensor active = terms.gt(zero)) {
      return count(active);
    }
  }

  private static long count(Tensor mask) {
    try (Tensor sum = mask.sum()) {
      return sum.item_long();
    }
  }
}
