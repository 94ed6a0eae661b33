package org.iscengine.model;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Batch normalization over channels (dimension 1) of [N, C] or [N, C, H, W] inputs, with
 * PyTorch's names: {@code weight}, {@code bias}, buffers {@code running_mean},
 * {@code running_var}, {@code num_batches_tracked}.
 */
public final class BatchNorm extends Module implements Layer {
  private final Tensor weight;
  private final Tensor bias;
  private final Tensor runningMean;
  private final Tensor runningVar;
  private final Tensor batches;
  private final double eps;
  private final double momentum;

  public BatchNorm(int channels, double eps, double momentum) {
    this.eps = eps;
    this.momentum = momentum;
    this.weight = Params.owned(register_parameter("weight", torch.ones(channels)));
    this.bias = Params.owned(register_parameter("bias", torch.zeros(channels)));
    this.runningMean = Params.owned(register_buffer("running_mean", torch.zeros(channels)));
    this.runningVar = Params.owned(register_buffer("running_var", torch.ones(channels)));
    try (Tensor zero = torch.zeros(new long[0])) {
      this.batches = Params.owned(register_buffer("num_batches_tracked", zero.to(ScalarType.Long)));
    }
  }

  /** PyTorch's defaults: eps 1e-5, momentum 0.1. */
  public BatchNorm(int channels) {
    this(channels, 1e-5, 0.1);
  }

  public Tensor weight() {
    return weight;
  }

  @Override
  public Tensor forward(Tensor x) {
    boolean training = is_training();
    if (training) {
      try (Scalar one = new Scalar(1L)) {
        batches.add_(one);
      }
    }
    try (TensorOptional w = new TensorOptional(weight);
        TensorOptional b = new TensorOptional(bias);
        TensorOptional mean = new TensorOptional(runningMean);
        TensorOptional var = new TensorOptional(runningVar)) {
      return torch.batch_norm(x, w, b, mean, var, training, momentum, eps, true);
    }
  }
}
