package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.kernels.HostTensors;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.junit.jupiter.api.Test;

class InsClrLossTest {
  @Test
  void valueAndGradientMatchAFloat64Reference() throws Exception {
    RandomTensors.withFreshSeed(seed -> {
      try (PointerScope scope = new PointerScope()) {
        Random random = new Random(seed);
        int rows = 3 + random.nextInt(9);
        int mem = random.nextInt(7);
        int d = 2 + random.nextInt(9);
        int cols = rows + mem;
        double margin = 0.1 + 0.3 * random.nextDouble();
        Tensor e = RandomTensors.uniform(seed, -1, 1, rows, d);
        double[] raw = TensorAssert.values(e);
        double[][] col = new double[cols][d];
        double[][] u = new double[rows][d];
        for (int r = 0; r < rows; r++) {
          double norm = 0;
          for (int c = 0; c < d; c++) {
            norm += raw[r * d + c] * raw[r * d + c];
          }
          norm = Math.sqrt(norm);
          for (int c = 0; c < d; c++) {
            u[r][c] = raw[r * d + c] / norm;
            col[r][c] = u[r][c];
          }
        }
        float[] memory = new float[mem * d];
        for (int m = 0; m < mem; m++) {
          float[] v = RandomTensors.unitVector(random, d);
          System.arraycopy(v, 0, memory, m * d, d);
          for (int c = 0; c < d; c++) {
            col[rows + m][c] = v[c];
          }
        }
        float[] pos = new float[rows * cols];
        float[] neg = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
          for (int c = 0; c < cols; c++) {
            if (c != r) {
              int kind = random.nextInt(3);
              (kind == 0 ? pos : neg)[r * cols + c] = kind == 2 ? 0 : 1;
            }
          }
        }
        // float64: loss and dL/du (both sides of batch pairs), then through the normalisation
        double loss = 0;
        double[][] du = new double[rows][d];
        for (int r = 0; r < rows; r++) {
          for (int c = 0; c < cols; c++) {
            double s = 0;
            for (int k = 0; k < d; k++) {
              s += u[r][k] * col[c][k];
            }
            double w = 0;
            if (pos[r * cols + c] == 1 && s < 1 - 1e-6) {
              loss += 1 - s;
              w = -1;
            } else if (neg[r * cols + c] == 1 && s > margin) {
              loss += s;
              w = 1;
            }
            for (int k = 0; k < d; k++) {
              du[r][k] += w * col[c][k] / rows;
              if (c < rows) {
                du[c][k] += w * u[r][k] / rows;
              }
            }
          }
        }
        loss /= rows;
        double[] expected = new double[rows * d];
        for (int r = 0; r < rows; r++) {
          double norm = 0;
          double dot = 0;
          for (int k = 0; k < d; k++) {
            norm += raw[r * d + k] * raw[r * d + k];
            dot += u[r][k] * du[r][k];
          }
          norm = Math.sqrt(norm);
          for (int k = 0; k < d; k++) {
            expected[r * d + k] = (du[r][k] - u[r][k] * dot) / norm;
          }
        }
        InsClrLoss.Value value = new InsClrLoss(margin).evaluate(e,
            mem == 0 ? null : HostTensors.tensor(memory, mem, d), pos, neg);
        assertEquals(loss, value.loss(), 1e-5 * Math.max(1, Math.abs(loss)), "loss");
        double err = TensorAssert.normRelativeError(TensorAssert.values(value.gradient()), expected);
        assertTrue(loss == 0 || err < 1e-4, "gradient relative error " + err);
      }
    });
  }
}
