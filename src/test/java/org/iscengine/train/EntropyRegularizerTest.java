package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** SSCD's entropy regularizer against a float64 evaluation and its finite differences. */
class EntropyRegularizerTest {
  private final long seed = RandomTensors.freshSeed();

  /** -mean_i log(min over rows of other labels of |u_i - u_j|), u the unit rows, in float64. */
  private static double reference(double[] e, long[] labels, int d) {
    int b = labels.length;
    double[][] u = new double[b][d];
    for (int i = 0; i < b; i++) {
      double n = 0;
      for (int t = 0; t < d; t++) {
        n += e[i * d + t] * e[i * d + t];
      }
      for (int t = 0; t < d; t++) {
        u[i][t] = e[i * d + t] / Math.sqrt(n);
      }
    }
    double sum = 0;
    for (int i = 0; i < b; i++) {
      double best = Double.POSITIVE_INFINITY;
      for (int j = 0; j < b; j++) {
        if (labels[j] == labels[i]) {
          continue;
        }
        double dist = 0;
        for (int t = 0; t < d; t++) {
          dist += (u[i][t] - u[j][t]) * (u[i][t] - u[j][t]);
        }
        best = Math.min(best, Math.sqrt(dist));
      }
      sum += Math.log(best);
    }
    return -sum / b;
  }

  private static Tensor labels(long[] values) {
    return torch.tensor(values);
  }

  @ParameterizedTest(name = "B={0} d={1}")
  @CsvSource({"2, 3", "7, 5", "16, 32", "33, 3"})
  void valueAndGradientMatchFloat64(int b, int d) {
    long[] labels = new long[b];
    for (int i = 0; i < b; i++) {
      // Two views per image; an odd B leaves one image with one view; B = 2: two images.
      labels[i] = b == 2 ? i : i / 2;
    }
    try (Tensor e = RandomTensors.uniform(seed, -1, 1, b, d);
        Tensor y = labels(labels)) {
      double[] values = TensorAssert.values(e);
      EntropyRegularizer.Result r = EntropyRegularizer.of(e, y);
      double want = reference(values, labels, d);
      assertEquals(want, r.value(), 1e-5 * Math.max(1, Math.abs(want)), "seed " + seed);
      double[] numeric = new double[values.length];
      double h = 1e-6;
      for (int k = 0; k < values.length; k++) {
        double[] plus = values.clone();
        double[] minus = values.clone();
        plus[k] += h;
        minus[k] -= h;
        numeric[k] = (reference(plus, labels, d) - reference(minus, labels, d)) / (2 * h);
      }
      try (Tensor gradient = r.gradient()) {
        double err = TensorAssert.normRelativeError(TensorAssert.values(gradient), numeric);
        assertTrue(err < 1e-3, "gradient relative error " + err + ", seed " + seed);
      }
    }
  }

  @Test
  void viewsOfOneImageAreNotNeighboursAndOneImageAloneIsRefused() {
    try (Tensor e = torch.tensor(new float[] {1, 0, 1, 0, 0, 1}).reshape(3, 2);
        Tensor y = labels(new long[] {4, 4, 9})) {
      EntropyRegularizer.Result r = EntropyRegularizer.of(e, y);
      // The two identical views (label 4) are skipped: every nearest other image is at sqrt(2).
      assertEquals(-Math.log(Math.sqrt(2)), r.value(), 1e-6);
      r.gradient().close();
    }
    try (Tensor e = RandomTensors.uniform(seed, -1, 1, 3, 4);
        Tensor y = labels(new long[] {1, 1, 1})) {
      String message = assertThrows(IllegalArgumentException.class, () -> EntropyRegularizer.of(e, y)).getMessage();
      assertTrue(message.contains("two different images"), message);
    }
  }
}
