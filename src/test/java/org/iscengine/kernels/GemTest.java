package org.iscengine.kernels;

import static org.iscengine.testing.TensorAssert.assertMaxRelativeError;
import static org.iscengine.testing.TensorAssert.assertNormRelativeError;
import static org.iscengine.testing.TensorAssert.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.runtime.CpuIsa;
import org.iscengine.runtime.CpuKernels;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The native CPU GeM kernel against a float64 LibTorch reference, on fresh random inputs. */
class GemTest {
  private static final double EPS = Gem.DEFAULT_EPS;

  /** Odd sizes, rows of 1, 7, 12, 49, 64, 143, 256 and 4096 elements. */
  private static final long[][] SHAPES = {
    {2, 3, 5, 7}, {1, 1, 1, 1}, {3, 17, 13, 11}, {5, 9, 7, 7}, {2, 3, 1, 1},
    {4, 8, 64, 64}, {6, 10, 3, 4}, {7, 33, 16, 16}, {3, 40, 8, 8}, {1, 5, 1, 7}
  };

  /** 1 and 3 (the seeds' values), 2 and 4 (their own code paths), 2.6 (a learned, general p). */
  private static final double[] PS = {1.0, 3.0, 2.0, 4.0, 2.6};

  @BeforeAll
  static void nativeLibraryLoads() {
    assertTrue(CpuKernels.available(), () -> "libisc_cpu did not load: " + CpuKernels.unavailableReason());
  }

  @AfterEach
  void restoreIsa() {
    CpuKernels.setIsa(CpuKernels.bestIsa());
  }

  /** Runs the kernels on this instruction set, or skips where the processor lacks it. */
  private static void use(CpuIsa isa) {
    Assumptions.assumeTrue(isa.ordinal() <= CpuKernels.bestIsa().ordinal(), "processor lacks " + isa);
    CpuKernels.setIsa(isa);
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (CpuIsa isa : CpuIsa.values()) {
      for (long[] shape : SHAPES) {
        for (double p : PS) {
          cases.add(Arguments.of(isa, shape, p));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} p={2}")
  @MethodSource("cases")
  void forwardMatchesFloat64Reference(CpuIsa isa, long[] shape, double p) {
    use(isa);
    long seed = RandomTensors.freshSeed();
    try (Tensor x = RandomTensors.uniform(seed, -0.5, 3.0, shape);
        Tensor x64 = x.to(ScalarType.Double);
        Tensor y = Gem.nativeKernel().forward(x, p, EPS);
        Tensor expected = Gem.reference().forward(x64, p, EPS)) {
      assertEquals(ScalarType.Float, y.scalar_type().intern());
      assertMaxRelativeError(y, expected, 1e-5, "forward, seed " + seed);
    }
  }

  @ParameterizedTest(name = "{0} {1} p={2}")
  @MethodSource("cases")
  void gradientsMatchFloat64Autograd(CpuIsa isa, long[] shape, double p) {
    use(isa);
    long seed = RandomTensors.freshSeed();
    try (Tensor x = RandomTensors.uniform(seed, -0.5, 3.0, shape);
        Tensor gradY = RandomTensors.uniform(seed + 1, -1.0, 1.0, shape[0], shape[1]);
        Tensor x64 = x.to(ScalarType.Double);
        Tensor gradY64 = gradY.to(ScalarType.Double);
        Tensor y = Gem.nativeKernel().forward(x, p, EPS);
        Tensor y64 = Gem.reference().forward(x64, p, EPS)) {
      GemGradients got = Gem.nativeKernel().backward(gradY, x, y, p, EPS, true);
      GemGradients want = Gem.reference().backward(gradY64, x64, y64, p, EPS, true);
      try (Tensor gx = got.input();
          Tensor gp = got.p();
          Tensor wx = want.input();
          Tensor wp = want.p()) {
        assertNormRelativeError(gx, wx, 1e-5, "dL/dx, seed " + seed);
        // dL/dp sums signed per-row terms; measure its error against their total size.
        double scale = Math.abs(values(wp)[0]) + rowScale(gradY64, y64, p);
        double error = Math.abs(values(gp)[0] - values(wp)[0]);
        assertTrue(error <= 1e-5 * scale, "dL/dp " + values(gp)[0] + " vs " + values(wp)[0] + ", seed " + seed);
      }
    }
  }

  /**
   * Sum over rows of |g| * (y / p) * (1 + |log y|): the size of the terms g * (y/p) * (S2/S - log y)
   * that make up dL/dp, each a difference of two logarithms.
   */
  private static double rowScale(Tensor gradY, Tensor y, double p) {
    double[] g = values(gradY);
    double[] yv = values(y);
    double sum = 0;
    for (int i = 0; i < g.length; i++) {
      sum += Math.abs(g[i]) * yv[i] / p * (1 + Math.abs(Math.log(yv[i])));
    }
    return sum;
  }

  @Test
  void inputGradientAloneEqualsTheOneComputedWithP() {
    long seed = RandomTensors.freshSeed();
    try (Tensor x = RandomTensors.uniform(seed, -0.5, 3.0, 3, 5, 9, 9);
        Tensor gradY = RandomTensors.uniform(seed + 1, -1.0, 1.0, 3, 5);
        Tensor y = Gem.nativeKernel().forward(x, 2.6, EPS)) {
      GemGradients alone = Gem.nativeKernel().backward(gradY, x, y, 2.6, EPS, false);
      GemGradients both = Gem.nativeKernel().backward(gradY, x, y, 2.6, EPS, true);
      assertEquals(null, alone.p());
      assertArrayEquals(values(both.input()), values(alone.input()), 0.0, "seed " + seed);
    }
  }

  @Test
  void resultsDoNotDependOnTheThreadCount() {
    int before = CpuKernels.threads();
    long seed = RandomTensors.freshSeed();
    try (Tensor x = RandomTensors.uniform(seed, -0.5, 3.0, 16, 64, 7, 7)) {
      CpuKernels.setThreads(1);
      double[] one = values(Gem.nativeKernel().forward(x, 3.0, EPS));
      CpuKernels.setThreads(3);
      assertEquals(3, CpuKernels.threads());
      double[] three = values(Gem.nativeKernel().forward(x, 3.0, EPS));
      assertArrayEquals(one, three, 0.0, "rows are independent, so the result is bit-identical");
    } finally {
      CpuKernels.setThreads(before);
    }
  }

  @Test
  void concurrentCallersEachGetTheirOwnCorrectResult() throws Exception {
    int callers = 6;
    long seed = RandomTensors.freshSeed();
    List<Tensor> inputs = new ArrayList<>();
    List<double[]> expected = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      Tensor x = RandomTensors.uniform(seed + i, -0.5, 3.0, 8, 32, 9, 9);
      inputs.add(x);
      expected.add(values(Gem.nativeKernel().forward(x, 3.0, EPS)));
    }
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < callers; i++) {
      int k = i;
      Thread t = new Thread(() -> {
        try {
          for (int round = 0; round < 20; round++) {
            assertArrayEquals(expected.get(k), values(Gem.nativeKernel().forward(inputs.get(k), 3.0, EPS)), 0.0);
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertTrue(failures.isEmpty(), () -> "seed " + seed + ": " + failures);
  }

  @Test
  void nanRowsStayNanLikeTheReference() {
    long seed = RandomTensors.freshSeed();
    try (Tensor x = RandomTensors.uniform(seed, -0.5, 3.0, 2, 3, 4, 5)) {
      try (FloatPointer data = new FloatPointer(x.data_ptr())) {
        data.put(7, Float.NaN);  // in row 0
      }
      for (double p : new double[] {1.0, 3.0, 2.6}) {
        double[] y = values(Gem.nativeKernel().forward(x, p, EPS));
        double[] ref = values(Gem.reference().forward(x, p, EPS));
        assertTrue(Double.isNaN(y[0]) && Double.isNaN(ref[0]), "p=" + p + ": the NaN row is NaN");
        for (int i = 1; i < y.length; i++) {
          assertEquals(ref[i], y[i], 1e-5 * Math.abs(ref[i]), "p=" + p + " row " + i);
        }
      }
    }
  }

  @Test
  void dispatchPicksTheNativeKernelForFloat32AndTheReferenceForFloat64() {
    try (Tensor x = RandomTensors.uniform(1, 0, 1, 1, 2, 3, 3);
        Tensor x64 = x.to(ScalarType.Double)) {
      assertSame(Gem.nativeKernel(), Gem.kernelFor(x));
      assertSame(Gem.reference(), Gem.kernelFor(x64));
      assertMaxRelativeError(Gem.forward(x, 3.0), Gem.forward(x64, 3.0), 1e-5, "dispatched forward");
    }
  }
}
