package org.iscengine.model;

import org.bytedeco.pytorch.Tensor;

/**
 * Activations applied in place, as torchvision and timm do: no new tensor per activation, which
 * on a CPU saves an allocation and a pass over memory. Autograd supports both in place (their
 * inputs here are batch-norm outputs, which no backward needs).
 */
final class Activations {
  private Activations() {}

  static Tensor relu(Tensor x) {
    x.relu_();
    return x;
  }

  /** min(max(x, 0), 6), Keras's ReLU(max_value=6). */
  static Tensor relu6(Tensor x) {
    org.bytedeco.pytorch.global.torch.relu6_(x);
    return x;
  }

  static Tensor silu(Tensor x) {
    org.bytedeco.pytorch.global.torch.silu_(x);
    return x;
  }
}
