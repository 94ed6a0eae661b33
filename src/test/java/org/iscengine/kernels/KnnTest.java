package org.iscengine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The CPU exact kNN kernel against LibTorch's float64 brute force with a stable sort. */
class KnnTest {
  @AfterEach
  void restoreIsa() {
    CpuKernels.setIsa(CpuKernels.bestIsa());
  }

  /**
   * nq, nr, d, k: odd sizes; one and several query blocks; references split across threads; up to
   * four queries scan the references in place, five and more pack them.
   */
  static Stream<Arguments> cases() {
    long[][] sizes = {
      {1, 1, 1, 1}, {7, 33, 5, 3}, {3, 40, 3, 40}, {130, 517, 17, 10}, {97, 2000, 64, 100},
      {2, 20000, 31, 7}, {5, 3000, 9, 1024}, {200, 300, 256, 1}, {4, 9001, 128, 10}, {1, 12345, 40, 16}
    };
    List<Arguments> cases = new ArrayList<>();
    for (CpuIsa isa : CpuIsa.values()) {
      for (Metric metric : Metric.values()) {
        for (long[] s : sizes) {
          cases.add(Arguments.of(isa, metric, s[0], s[1], s[2], (int) s[3]));
        }
      }
    }
    return cases.stream();
  }

  private static void use(CpuIsa isa) {
    Assumptions.assumeTrue(isa.ordinal() <= CpuKernels.bestIsa().ordinal(), "processor lacks " + isa);
    CpuKernels.setIsa(isa);
  }

  @ParameterizedTest(name = "{0} {1} nq={2} nr={3} d={4} k={5}")
  @MethodSource("cases")
  void exactOnIntegerDataTiesIncluded(CpuIsa isa, Metric metric, long nq, long nr, long d, int k) {
    use(isa);
    long seed = RandomTensors.freshSeed();
    // Values in [-2, 2]: exact in float32, and many references score the same.
    try (Tensor q = RandomTensors.integers(seed, -2, 2, nq, d);
        Tensor r = RandomTensors.integers(seed + 1, -2, 2, nr, d);
        Tensor q64 = q.to(ScalarType.Double);
        Tensor r64 = r.to(ScalarType.Double);
        KnnResult got = Knn.search(q, r, k, metric);
        KnnResult want = Knn.reference(q64, r64, k, metric)) {
      assertArrayEquals(want.idArray(), got.idArray(), "ids, seed " + seed);
      assertArrayEquals(want.scoreArray(), got.scoreArray(), 0f, "scores, seed " + seed);
    }
  }

  @ParameterizedTest(name = "{1} d={4} k={5}")
  @MethodSource("cases")
  void matchesFloat64OnRandomFloats(CpuIsa isa, Metric metric, long nq, long nr, long d, int k) {
    use(isa);
    long seed = RandomTensors.freshSeed();
    try (Tensor q = RandomTensors.uniform(seed, -1, 1, nq, d);
        Tensor r = RandomTensors.uniform(seed + 1, -1, 1, nr, d);
        Tensor q64 = q.to(ScalarType.Double);
        Tensor r64 = r.to(ScalarType.Double);
        KnnResult got = Knn.search(q, r, k, metric);
        KnnResult want = Knn.reference(q64, r64, k, metric)) {
      assertSameNeighbours(got, want, q64, r64, metric, 1e-5 * d, "seed " + seed);
    }
  }

  /**
   * Same neighbours up to float32 rounding: each returned id's exact score equals the exact
   * score at its rank within tol (near-ties may swap), and every score is close to exact.
   */
  static void assertSameNeighbours(KnnResult got, KnnResult want, Tensor q64, Tensor r64, Metric metric, double tol,
      String what) {
    int nq = got.queries();
    int k = got.k();
    long[] ids = got.idArray();
    float[] scores = got.scoreArray();
    float[] wantScores = want.scoreArray();
    double[] q = org.iscengine.testing.TensorAssert.values(q64);
    double[] r = org.iscengine.testing.TensorAssert.values(r64);
    int d = (int) q64.size(1);
    for (int i = 0; i < nq; i++) {
      for (int j = 0; j < k; j++) {
        long id = ids[i * k + j];
        double exact = 0;
        for (int t = 0; t < d; t++) {
          double a = q[i * d + t];
          double b = r[(int) id * d + t];
          exact += metric == Metric.L2 ? (a - b) * (a - b) : a * b;
        }
        assertEquals(wantScores[i * k + j], exact, tol, what + ": query " + i + " rank " + j + " id " + id);
        assertEquals(exact, scores[i * k + j], tol, what + ": score of query " + i + " rank " + j);
      }
    }
  }

  @Test
  void streamingChunksEqualsOneSearch() {
    long seed = RandomTensors.freshSeed();
    try (Tensor q = RandomTensors.integers(seed, -3, 3, 21, 12);
        Tensor r = RandomTensors.integers(seed + 1, -3, 3, 1000, 12);
        KnnResult whole = Knn.search(q, r, 50, Metric.INNER_PRODUCT);
        KnnStream stream = Knn.stream(q, 50, Metric.INNER_PRODUCT, KnnPrecision.FP32)) {
      // A first chunk smaller than k, then uneven ones.
      long[] bounds = {0, 13, 400, 401, 1000};
      for (int c = 0; c + 1 < bounds.length; c++) {
        try (Tensor chunk = r.narrow(0, bounds[c], bounds[c + 1] - bounds[c]).contiguous()) {
          stream.add(chunk);
        }
      }
      assertEquals(1000, stream.seen());
      try (KnnResult chunked = stream.result()) {
        assertArrayEquals(whole.idArray(), chunked.idArray(), "seed " + seed);
        assertArrayEquals(whole.scoreArray(), chunked.scoreArray(), 0f, "seed " + seed);
      }
    }
  }

  @Test
  void chunksMayComeInAnyOrderWithExplicitIds() {
    long seed = RandomTensors.freshSeed();
    try (Tensor q = RandomTensors.integers(seed, -2, 2, 9, 4);
        Tensor r = RandomTensors.integers(seed + 1, -2, 2, 300, 4);
        KnnResult whole = Knn.search(q, r, 20, Metric.L2);
        KnnStream stream = Knn.stream(q, 20, Metric.L2, KnnPrecision.FP32);
        Tensor late = r.narrow(0, 150, 150).contiguous();
        Tensor early = r.narrow(0, 0, 150).contiguous()) {
      stream.add(late, 150);
      stream.add(early, 0);
      try (KnnResult chunked = stream.result()) {
        assertArrayEquals(whole.idArray(), chunked.idArray(), "seed " + seed);
      }
    }
  }

  private static void assertRejected(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String fragment : fragments) {
      assertTrue(e.getMessage().contains(fragment), () -> "'" + e.getMessage() + "' should mention '" + fragment + "'");
    }
  }

  @Test
  void badArgumentsAreNamed() {
    try (Tensor q = RandomTensors.uniform(1, -1, 1, 4, 8);
        Tensor r = RandomTensors.uniform(2, -1, 1, 30, 8);
        Tensor r7 = RandomTensors.uniform(3, -1, 1, 30, 7);
        Tensor nanRefs = RandomTensors.uniform(4, -1, 1, 30, 8);
        Tensor vector = RandomTensors.uniform(5, -1, 1, 8);
        Tensor doubles = r.to(ScalarType.Double);
        Tensor transposed = RandomTensors.uniform(6, -1, 1, 8, 30)) {
      try (FloatPointer p = new FloatPointer(nanRefs.data_ptr())) {
        p.put(17 * 8 + 3, Float.NaN);
      }
      assertRejected(() -> Knn.search(q, r, 0, Metric.L2), "k must be in [1, 1024]", "0");
      assertRejected(() -> Knn.search(q, r, -3, Metric.L2), "k", "-3");
      assertRejected(() -> Knn.search(q, r, 31, Metric.L2), "k=31", "exceeds", "30");
      assertRejected(() -> Knn.search(q, r, 1025, Metric.L2), "k must be in [1, 1024]", "1025");
      assertRejected(() -> Knn.search(q, r7, 5, Metric.L2), "dimension mismatch", "d=8", "d=7");
      assertRejected(() -> Knn.search(q, nanRefs, 5, Metric.INNER_PRODUCT), "references", "NaN", "row 17");
      assertRejected(() -> Knn.search(vector, r, 5, Metric.L2), "queries", "2-D", "[8]");
      assertRejected(() -> Knn.search(q, doubles, 5, Metric.L2), "float32", "Double");
      assertRejected(() -> Knn.search(q, transposed.t(), 5, Metric.L2), "contiguous");
      assertRejected(() -> Knn.search(null, r, 5, Metric.L2), "queries", "null");
      try (KnnStream stream = Knn.stream(q, 10, Metric.L2, KnnPrecision.FP32)) {
        try (Tensor few = r.narrow(0, 0, 5).contiguous()) {
          stream.add(few);
        }
        assertRejected(stream::result, "k=10", "exceeds", "(5)");
      }
    }
  }

  @Test
  void cpuRejectsReducedPrecisionThroughTheReferencePath() {
    // TF32/BF16 are GPU arithmetics; on the CPU the search still answers, exactly.
    long seed = RandomTensors.freshSeed();
    try (Tensor q = RandomTensors.integers(seed, -2, 2, 5, 6);
        Tensor r = RandomTensors.integers(seed + 1, -2, 2, 50, 6);
        KnnResult exact = Knn.search(q, r, 5, Metric.INNER_PRODUCT);
        KnnResult reduced = Knn.search(q, r, 5, Metric.INNER_PRODUCT, KnnPrecision.BF16)) {
      assertArrayEquals(exact.idArray(), reduced.idArray());
    }
  }
}
