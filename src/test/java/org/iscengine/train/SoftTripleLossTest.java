package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.Tensors;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;

/** SoftTriple against a plain float64 implementation written from the paper, value and gradients. */
class SoftTripleLossTest {
  /** The loss in doubles, loop by loop: x [n][d] unit rows, w [d][C*K] (not normalised), labels. */
  static double reference(double[][] x, double[][] w, int[] labels, SoftTripleLoss.Settings s) {
    int d = w.length;
    int ck = w[0].length;
    double[][] unit = new double[d][ck];
    for (int j = 0; j < ck; j++) {
      double norm = 0;
      for (int i = 0; i < d; i++) {
        norm += w[i][j] * w[i][j];
      }
      norm = Math.max(Math.sqrt(norm), 1e-12);
      for (int i = 0; i < d; i++) {
        unit[i][j] = w[i][j] / norm;
      }
    }
    double loss = 0;
    for (int r = 0; r < x.length; r++) {
      double[] logits = new double[s.classes()];
      for (int c = 0; c < s.classes(); c++) {
        double[] sim = new double[s.centers()];
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < s.centers(); k++) {
          for (int i = 0; i < d; i++) {
            sim[k] += x[r][i] * unit[i][c * s.centers() + k];
          }
          max = Math.max(max, sim[k] / s.gamma());
        }
        double z = 0;
        double weighted = 0;
        for (int k = 0; k < s.centers(); k++) {
          double e = Math.exp(sim[k] / s.gamma() - max);
          z += e;
          weighted += e * sim[k];
        }
        logits[c] = s.lambda() * (weighted / z - (c == labels[r] ? s.margin() : 0));
      }
      double max = Double.NEGATIVE_INFINITY;
      for (double l : logits) {
        max = Math.max(max, l);
      }
      double z = 0;
      for (double l : logits) {
        z += Math.exp(l - max);
      }
      loss += -(logits[labels[r]] - max - Math.log(z));
    }
    loss /= x.length;
    if (s.tau() > 0 && s.centers() > 1) {
      double spread = 0;
      for (int c = 0; c < s.classes(); c++) {
        for (int a = 0; a < s.centers(); a++) {
          for (int b = a + 1; b < s.centers(); b++) {
            double cos = 0;
            for (int i = 0; i < d; i++) {
              cos += unit[i][c * s.centers() + a] * unit[i][c * s.centers() + b];
            }
            spread += Math.sqrt(Math.max(0, 2 + 1e-5 - 2 * cos));
          }
        }
      }
      loss += s.tau() * spread / (s.classes() * s.centers() * (s.centers() - 1.0));
    }
    return loss;
  }

  private static double[][] rows(float[] values, int n, int d) {
    double[][] out = new double[n][d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        out[i][j] = values[i * d + j];
      }
    }
    return out;
  }

  @Test
  void valueAndGradientsMatchTheFloat64Reference() {
    long seed = RandomTensors.freshSeed();
    for (SoftTripleLoss.Settings s : new SoftTripleLoss.Settings[] {
        new SoftTripleLoss.Settings(5, 3, 7, 20, 0.1, 0.2, 0),
        new SoftTripleLoss.Settings(3, 1, 5, 10, 0.5, 0.2, 0.05),
        new SoftTripleLoss.Settings(4, 2, 9, 20, 0.1, 0, 0.01)}) {
      int n = 6;
      int d = s.dimension();
      int ck = s.classes() * s.centers();
      Random random = new Random(seed++);
      int[] labels = random.ints(n, 0, s.classes()).toArray();
      try (Tensor raw = RandomTensors.uniform(seed++, -1, 1, n, d);
          Tensor unitX = Tensors.l2Normalize(raw);
          Tensor w0 = RandomTensors.uniform(seed++, -1, 1, d, ck);
          Tensor y = torch.tensor(java.util.Arrays.stream(labels).asLongStream().toArray())) {
        Tensor x = unitX.detach().requires_grad_(true);
        Tensor w = w0.detach().requires_grad_(true);
        Tensor loss = SoftTripleLoss.loss(x, y, w, s);
        loss.backward(new Tensor(), new BoolOptional(), false, new TensorArrayRefOptional());
        double[][] xd = rows(HostTensors.toArray(unitX), n, d);
        double[][] wd = rows(HostTensors.toArray(w0), d, ck);
        double expected = reference(xd, wd, labels, s);
        assertEquals(expected, loss.item_double(), 1e-5 * Math.max(1, Math.abs(expected)), s.toString());

        // Central differences of the float64 reference against autograd of the float32 one.
        double[] errorAndScale = new double[2];
        compare(xd, HostTensors.toArray(x.grad()), () -> reference(xd, wd, labels, s), errorAndScale);
        compare(wd, HostTensors.toArray(w.grad()), () -> reference(xd, wd, labels, s), errorAndScale);
        double worst = errorAndScale[0];
        double scale = errorAndScale[1];
        assertTrue(scale > 1e-3, "the gradient is not trivially zero");
        assertTrue(worst <= 1e-3 * scale, s + ": gradient off by " + worst + " of " + scale);
        loss.close();
        x.close();
        w.close();
      }
    }
  }

  /** Each entry of m moved by +-h: the largest distance of the central difference from autograd, and of its size. */
  private static void compare(double[][] m, float[] autograd, java.util.function.DoubleSupplier f, double[] out) {
    double h = 1e-6;
    int cols = m[0].length;
    for (int i = 0; i < m.length; i++) {
      for (int j = 0; j < cols; j++) {
        double keep = m[i][j];
        m[i][j] = keep + h;
        double up = f.getAsDouble();
        m[i][j] = keep - h;
        double down = f.getAsDouble();
        m[i][j] = keep;
        double numeric = (up - down) / (2 * h);
        out[0] = Math.max(out[0], Math.abs(numeric - autograd[i * cols + j]));
        out[1] = Math.max(out[1], Math.abs(numeric));
      }
    }
  }

  @Test
  void oneCentrePerClassIsANormalisedSoftmax() {
    // K = 1: the class similarity is the cosine to the class's centre; no merging term.
    SoftTripleLoss.Settings s = new SoftTripleLoss.Settings(3, 1, 4, 16, 0.1, 0.2, 0);
    double[][] x = {{1, 0, 0, 0}, {0, 0.6, 0.8, 0}};
    double[][] w = {{2, 0, 0}, {0, 1, 0}, {0, 0, 3}, {0, 0, 0}};
    int[] labels = {0, 2};
    double expected = 0;
    double[][] cos = {{1, 0, 0}, {0, 0.6, 0.8}};
    for (int r = 0; r < 2; r++) {
      double z = 0;
      for (double c : cos[r]) {
        z += Math.exp(16 * c);
      }
      expected += -(16 * cos[r][labels[r]] - Math.log(z)) / 2;
    }
    try (Tensor xt = HostTensors.tensor(new float[] {1, 0, 0, 0, 0, 0.6f, 0.8f, 0}, 2, 4);
        Tensor wt = HostTensors.tensor(new float[] {2, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0}, 4, 3);
        Tensor y = torch.tensor(new long[] {0, 2});
        Tensor loss = SoftTripleLoss.loss(xt, y, wt, s)) {
      assertEquals(expected, loss.item_double(), 1e-5);
      assertEquals(expected, reference(x, w, labels, s), 1e-12);
    }
  }

  @Test
  void settingsAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> new SoftTripleLoss.Settings(1, 2, 8, 20, 0.1, 0.2, 0));
    assertThrows(IllegalArgumentException.class, () -> new SoftTripleLoss.Settings(4, 2, 8, 20, 0, 0.2, 0));
    try (SoftTripleLoss loss = new SoftTripleLoss(SoftTripleLoss.Settings.of(4, 2, 8))) {
      assertEquals(ScalarType.Float, Tensors.dtype(loss.centers()));
      assertTrue(loss.centers().requires_grad());
      assertEquals(8 * 8, loss.centers().numel());
    }
  }
}
