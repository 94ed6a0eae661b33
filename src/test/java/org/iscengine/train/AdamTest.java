package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.iscengine.kernels.HostTensors;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.junit.jupiter.api.Test;

class AdamTest {
  /** torch.optim.Adam's update in float64, one parameter array, its gradients step by step. */
  private static double[] reference(double[] w, double[][] grads, double[] lrs, double b1, double b2, double eps,
      double wd) {
    double[] x = w.clone();
    double[] m = new double[x.length];
    double[] v = new double[x.length];
    for (int t = 1; t <= grads.length; t++) {
      for (int i = 0; i < x.length; i++) {
        double g = grads[t - 1][i] + wd * x[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        double mHat = m[i] / (1 - Math.pow(b1, t));
        double vHat = v[i] / (1 - Math.pow(b2, t));
        x[i] -= lrs[t - 1] * mHat / (Math.sqrt(vHat) + eps);
      }
    }
    return x;
  }

  @Test
  void followsTheFloat64UpdateRuleOverSeveralSteps() throws Exception {
    RandomTensors.withFreshSeed(seed -> {
      Random random = new Random(seed);
      int n = 5 + random.nextInt(60);
      double b1 = 0.8 + 0.15 * random.nextDouble();
      double b2 = 0.99 + 0.009 * random.nextDouble();
      double wd = random.nextBoolean() ? 0 : 1e-2 * random.nextDouble();
      int steps = 7;
      double[][] grads = new double[steps][n];
      double[] lrs = new double[steps];
      for (int t = 0; t < steps; t++) {
        lrs[t] = 1e-3 * (1 + random.nextDouble());
        for (int i = 0; i < n; i++) {
          grads[t][i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(4) - 2));
        }
      }
      try (Tensor w = RandomTensors.uniform(seed, -1, 1, n)) {
        double[] start = TensorAssert.values(w);
        w.requires_grad_(true);
        try (TensorVector params = new TensorVector(w);
            Adam adam = new Adam(params, b1, b2, 1e-8, wd)) {
          for (int t = 0; t < steps; t++) {
            float[] g = new float[n];
            for (int i = 0; i < n; i++) {
              g[i] = (float) grads[t][i];
            }
            adam.zeroGrad();
            try (PointerScope scope = new PointerScope()) {  // d(w . g)/dw = g
              w.mul(HostTensors.tensor(g, n)).sum().backward();
            }
            adam.step(lrs[t]);
          }
          assertEquals(steps, adam.steps());
        }
        double[] expected = reference(start, grads, lrs, b1, b2, 1e-8, wd);
        double[] actual = TensorAssert.values(w);
        double err = TensorAssert.normRelativeError(actual, expected);
        assertTrue(err < 1e-5, "relative error " + err);
        assertTrue(TensorAssert.normRelativeError(actual, start) > 1e-4, "the parameters moved");
      }
    });
  }

  @Test
  void badSettingsAreRefused() {
    try (Tensor w = RandomTensors.uniform(RandomTensors.freshSeed(), -1, 1, 3);
        TensorVector params = new TensorVector(w.requires_grad_(true))) {
      assertThrows(IllegalArgumentException.class, () -> new Adam(params, 1.0, 0.999, 1e-8, 0));
      assertThrows(IllegalArgumentException.class, () -> new Adam(params, 0.9, 0.999, 0, 0));
    }
  }
}
