package org.iscengine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.iscengine.testing.ArgumentAssert.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
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

  /** Random float32 values of a shape, from a seed. */
  @FunctionalInterface
  private interface Values {
    Tensor of(long seed, long... shape);
  }

  /** What a test checks of the kernel's result against the float64 one (inputs in float64, and the seed). */
  @FunctionalInterface
  private interface Comparison {
    void check(KnnResult got, KnnResult want, Tensor q64, Tensor r64, String seed);
  }

  /**
   * On the given instruction set, random queries and references from a fresh seed searched by the kernel
   * and by LibTorch's float64 brute force, and the two results compared.
   */
  private static void againstFloat64(CpuIsa isa, Metric metric, long nq, long nr, long d, int k, Values values,
      Comparison comparison) {
    use(isa);
    long seed = RandomTensors.freshSeed();
    try (Tensor q = values.of(seed, nq, d);
        Tensor r = values.of(seed + 1, nr, d);
        Tensor q64 = q.to(ScalarType.Double);
        Tensor r64 = r.to(ScalarType.Double);
        KnnResult got = Knn.search(q, r, k, metric);
        KnnResult want = Knn.reference(q64, r64, k, metric)) {
      comparison.check(got, want, q64, r64, "seed " + seed);
    }
  }

  @ParameterizedTest(name = "{0} {1} nq={2} nr={3} d={4} k={5}")
  @MethodSource("cases")
  void exactOnIntegerDataTiesIncluded(CpuIsa isa, Metric metric, long nq, long nr, long d, int k) {
    // Values in [-2, 2]: exact in float32, and many references score the same.
    againstFloat64(isa, metric, nq, nr, d, k, (seed, shape) -> RandomTensors.integers(seed, -2, 2, shape),
        (got, want, q64, r64, seed) -> {
          assertArrayEquals(want.idArray(), got.idArray(), "ids, " + seed);
          assertArrayEquals(want.scoreArray(), got.scoreArray(), 0f, "scores, " + seed);
        });
  }

  @ParameterizedTest(name = "{1} d={4} k={5}")
  @MethodSource("cases")
  void matchesFloat64OnRandomFloats(CpuIsa isa, Metric metric, long nq, long nr, long d, int k) {
    againstFloat64(isa, metric, nq, nr, d, k, (seed, shape) -> RandomTensors.uniform(seed, -1, 1, shape),
        (got, want, q64, r64, seed) -> assertSameNeighbours(got, want, q64, r64, metric, 1e-5 * d, seed));
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

  /**
   * Integer queries and references in [-bound, bound] from a fresh seed: a stream fed the references
   * in chunks by feed ends with the same ids and scores as one search of them all.
   */
  private static void assertStreamEqualsOneSearch(int bound, long nq, long nr, long d, int k, Metric metric,
      BiConsumer<KnnStream, Tensor> feed) {
    long seed = RandomTensors.freshSeed();
    try (Tensor q = RandomTensors.integers(seed, -bound, bound, nq, d);
        Tensor r = RandomTensors.integers(seed + 1, -bound, bound, nr, d);
        KnnResult whole = Knn.search(q, r, k, metric);
        KnnStream stream = Knn.stream(q, k, metric, KnnPrecision.FP32)) {
      feed.accept(stream, r);
      try (KnnResult chunked = stream.result()) {
        assertArrayEquals(whole.idArray(), chunked.idArray(), "seed " + seed);
        assertArrayEquals(whole.scoreArray(), chunked.scoreArray(), 0f, "seed " + seed);
      }
    }
  }

  @Test
  void streamingChunksEqualsOneSearch() {
    assertStreamEqualsOneSearch(3, 21, 1000, 12, 50, Metric.INNER_PRODUCT, (stream, r) -> {
      // A first chunk smaller than k, then uneven ones.
      long[] bounds = {0, 13, 400, 401, 1000};
      for (int c = 0; c + 1 < bounds.length; c++) {
        try (Tensor chunk = r.narrow(0, bounds[c], bounds[c + 1] - bounds[c]).contiguous()) {
          stream.add(chunk);
        }
      }
      assertEquals(1000, stream.seen());
    });
  }

  @Test
  void chunksMayComeInAnyOrderWithExplicitIds() {
    assertStreamEqualsOneSearch(2, 9, 300, 4, 20, Metric.L2, (stream, r) -> {
      try (Tensor late = r.narrow(0, 150, 150).contiguous();
          Tensor early = r.narrow(0, 0, 150).contiguous()) {
        stream.add(late, 150);
        stream.add(early, 0);
      }
    });
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
