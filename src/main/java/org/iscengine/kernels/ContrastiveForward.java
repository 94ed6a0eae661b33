package org.iscengine.kernels;

import org.bytedeco.pytorch.Tensor;

/**
 * One forward evaluation of {@link ContrastiveMemoryLoss}: its statistics and what the backward
 * pass needs. Call {@link ContrastiveMemoryLoss#backward} before the bank takes the next batch;
 * closing frees the saved tensors.
 */
public final class ContrastiveForward implements AutoCloseable {
  private final ContrastiveStats stats;
  final Saved saved;
  private boolean closed;

  /** What a backward pass reads; each implementation keeps its own. */
  interface Saved extends AutoCloseable {
    Tensor backward(double gradLoss);

    @Override
    void close();
  }

  ContrastiveForward(ContrastiveStats stats, Saved saved) {
    this.stats = stats;
    this.saved = saved;
  }

  public ContrastiveStats stats() {
    return stats;
  }

  public double loss() {
    return stats.loss();
  }

  Tensor backward(double gradLoss) {
    if (closed) {
      throw new IllegalStateException("this forward result is closed");
    }
    return saved.backward(gradLoss);
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      saved.close();
    }
  }
}
