package org.iscengine.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Comparisons of tensors against a (float64) reference by relative error. */
public final class TensorAssert {
  private TensorAssert() {}

  /** All values as doubles, in row-major order. */
  public static double[] values(Tensor t) {
    try (Tensor cpu = t.to(ScalarType.Double).cpu();
        Tensor dense = cpu.contiguous();
        DoublePointer data = new DoublePointer(dense.data_ptr())) {
      double[] out = new double[(int) dense.numel()];
      data.get(out);
      return out;
    }
  }

  public static long[] shape(Tensor t) {
    long[] shape = new long[(int) t.dim()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = t.size(i);
    }
    return shape;
  }

  /** Largest |actual - expected| / |expected| over all elements (NaN counts as infinite). */
  public static double maxRelativeError(double[] actual, double[] expected) {
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      double e = Math.abs(actual[i] - expected[i]) / Math.abs(expected[i]);
      if (!(e <= worst)) {
        worst = Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
      }
    }
    return worst;
  }

  /** ||actual - expected||_2 / ||expected||_2; 0 when both are exactly zero. */
  public static double normRelativeError(double[] actual, double[] expected) {
    double diff = 0;
    double ref = 0;
    for (int i = 0; i < expected.length; i++) {
      diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
      ref += expected[i] * expected[i];
    }
    if (diff == 0) {
      return 0;
    }
    double e = Math.sqrt(diff) / Math.sqrt(ref);
    return Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
  }

  public static void assertMaxRelativeError(Tensor actual, Tensor expected, double tolerance, String what) {
    assertArrayEquals(shape(expected), shape(actual), what + ": shape");
    double error = maxRelativeError(values(actual), values(expected));
    if (!(error < tolerance)) {
      fail(what + ": max relative error " + error + " >= " + tolerance);
    }
  }

  public static void assertNormRelativeError(Tensor actual, Tensor expected, double tolerance, String what) {
    assertArrayEquals(shape(expected), shape(actual), what + ": shape");
    double error = normRelativeError(values(actual), values(expected));
    if (!(error < tolerance)) {
      fail(what + ": relative error " + error + " >= " + tolerance);
    }
  }

  /** Same shape and bit-for-bit the same values. */
  public static void assertEqual(Tensor expected, Tensor actual) {
    assertArrayEquals(shape(expected), shape(actual), "shape");
    assertArrayEquals(values(expected), values(actual), 0.0, "values");
  }
}
