package org.iscengine.model;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Weight initialisation as torchvision's (seeded through torch.manual_seed). */
final class Init {
  private Init() {}

  /** Kaiming normal, fan-out, for ReLU: std = sqrt(2 / (out * k * k)). */
  static void kaimingNormalFanOut(Tensor convWeight) {
    long fanOut = convWeight.size(0) * convWeight.size(2) * convWeight.size(3);
    try (NoGradGuard guard = new NoGradGuard()) {
      torch.normal_(convWeight, 0.0, Math.sqrt(2.0 / fanOut));
    }
  }

  /** PyTorch's Linear default: uniform in +-1/sqrt(fan_in). */
  static void uniformFanIn(Tensor t, long fanIn) {
    double bound = 1.0 / Math.sqrt(fanIn);
    try (NoGradGuard guard = new NoGradGuard()) {
      torch.uniform_(t, -bound, bound);
    }
  }
}
