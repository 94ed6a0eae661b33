package org.iscengine.model;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** y = x W^T (+ b), with PyTorch's names {@code weight} [out, in] and {@code bias}. */
public final class Linear extends Module implements Layer {
  private final Tensor weight;
  private final Tensor bias;

  public Linear(int in, int out, boolean bias) {
    this.weight = Params.owned(register_parameter("weight", torch.empty(out, in)));
    this.bias = bias ? Params.owned(register_parameter("bias", torch.zeros(out))) : null;
    Init.uniformFanIn(this.weight, in);
    if (this.bias != null) {
      Init.uniformFanIn(this.bias, in);
    }
  }

  @Override
  public Tensor forward(Tensor x) {
    try (TensorOptional b = bias == null ? new TensorOptional() : new TensorOptional(bias)) {
      return torch.linear(x, weight, b);
    }
  }
}
