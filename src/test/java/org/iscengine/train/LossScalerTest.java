package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.junit.jupiter.api.Test;

/** Dynamic loss scaling: unscaling, skipping non-finite steps, backing off and growing. */
class LossScalerTest {
  private final long seed = RandomTensors.freshSeed();

  /** Sets each parameter's gradient to scale x grads[i], through autograd (scale 1e39 overflows float32). */
  private static void backward(Sgd sgd, Tensor[] params, Tensor[] grads, double scale) {
    sgd.zeroGrad();
    try (PointerScope scope = new PointerScope()) {
      Tensor total = params[0].mul(grads[0]).sum();
      for (int i = 1; i < params.length; i++) {
        total = total.add(params[i].mul(grads[i]).sum());
      }
      total.mul(new Scalar(scale)).backward();
    }
  }

  @Test
  void gradientsComeBackUnscaledAndANonFiniteStepBacksOff() {
    Tensor[] params = {RandomTensors.uniform(seed, -1, 1, 3, 5).requires_grad_(true),
        RandomTensors.uniform(seed + 1, -1, 1, 7).requires_grad_(true)};
    Tensor[] grads = {RandomTensors.uniform(seed + 2, -1e-3, 1e-3, 3, 5), RandomTensors.uniform(seed + 3, -1, 1, 7)};
    try (TensorVector vector = new TensorVector(params);
        Sgd sgd = new Sgd(vector, 0.9, 0)) {
      LossScaler scaler = new LossScaler(0, 0);
      assertEquals(LossScaler.INITIAL, scaler.scale());
      backward(sgd, params, grads, scaler.scale());
      scaler.unscale(sgd);
      assertTrue(scaler.update(sgd.clipGradients(0)));
      for (int i = 0; i < grads.length; i++) {
        double err = TensorAssert.maxRelativeError(TensorAssert.values(params[i].grad()),
            TensorAssert.values(grads[i]));
        assertTrue(err < 1e-6, "gradient " + i + " unscaled with relative error " + err + " (seed " + seed + ")");
      }
      assertEquals(1, scaler.goodSteps());

      backward(sgd, params, grads, 1e39);
      scaler.unscale(sgd);
      assertFalse(scaler.update(sgd.clipGradients(0)), "an overflowed gradient skips the step");
      assertEquals(LossScaler.INITIAL / 2, scaler.scale());
      assertEquals(0, scaler.goodSteps());

      for (int i = 0; i < LossScaler.INTERVAL; i++) {
        backward(sgd, params, grads, scaler.scale());
        scaler.unscale(sgd);
        assertTrue(scaler.update(sgd.clipGradients(0)));
      }
      assertEquals(LossScaler.INITIAL, scaler.scale(), "doubled after a run of good steps");
      assertEquals(0, scaler.goodSteps());
    }
  }

  @Test
  void aCheckpointsStateIsKeptAndABadOneRefused() {
    LossScaler restored = new LossScaler(1024, 17);
    assertEquals(1024, restored.scale());
    assertEquals(17, restored.goodSteps());
    assertThrows(IllegalArgumentException.class, () -> new LossScaler(-1, 0));
    assertThrows(IllegalArgumentException.class, () -> new LossScaler(Double.NaN, 0));
    assertThrows(IllegalArgumentException.class, () -> new LossScaler(8, -2));
  }
}
