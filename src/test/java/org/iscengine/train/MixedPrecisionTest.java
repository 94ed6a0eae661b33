package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.kernels.Tensors;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;

/** Autocast regions: 16-bit products inside, float32 and the previous state after. */
class MixedPrecisionTest {
  private final long seed = RandomTensors.freshSeed();

  @Test
  void productsRunIn16BitsInsideAndTheStateIsRestoredAfter() {
    MixedPrecision bf16 = new MixedPrecision(torch.DeviceType.CPU, ScalarType.BFloat16, true);
    try (PointerScope scope = new PointerScope()) {
      Tensor a = RandomTensors.uniform(seed, -1, 1, 5, 7);
      Tensor b = RandomTensors.uniform(seed + 1, -1, 1, 7, 3);
      assertFalse(torch.is_autocast_enabled(torch.DeviceType.CPU));
      Tensor inside;
      try (MixedPrecision.Scope s = bf16.enter()) {
        assertTrue(torch.is_autocast_enabled(torch.DeviceType.CPU));
        inside = a.mm(b);
        try (MixedPrecision.Scope nothing = MixedPrecision.FLOAT32.enter()) {
          assertTrue(torch.is_autocast_enabled(torch.DeviceType.CPU), "float32 leaves an outer region alone");
        }
      }
      assertEquals(ScalarType.BFloat16, Tensors.dtype(inside));
      assertFalse(torch.is_autocast_enabled(torch.DeviceType.CPU));
      assertEquals(ScalarType.Float, Tensors.dtype(a.mm(b)));
      // bfloat16 keeps 8 bits of mantissa: the product agrees with float32 to about 1e-2.
      double diff = inside.to(ScalarType.Float).sub(a.mm(b)).abs().max().item_double();
      assertTrue(diff < 0.05 && diff > 0, "bfloat16 product off by " + diff + " (seed " + seed + ")");
    }
  }
}
