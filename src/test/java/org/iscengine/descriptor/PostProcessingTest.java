package org.iscengine.descriptor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The post-processing methods against plain-Java float64 implementations of their formulas. */
class PostProcessingTest {
  private final long seed = RandomTensors.freshSeed();

  /** n x d rows as float32, L2-normalised in float64 first. */
  private static double[][] unitRows(long seed, int n, int d) {
    java.util.Random r = new java.util.Random(seed);
    double[][] x = new double[n][d];
    for (double[] row : x) {
      for (int j = 0; j < d; j++) {
        row[j] = r.nextGaussian();
      }
      normalize(row);
      for (int j = 0; j < d; j++) {
        row[j] = (float) row[j];
      }
    }
    return x;
  }

  private static void normalize(double[] v) {
    double n = Math.sqrt(dot(v, v));
    for (int j = 0; j < v.length; j++) {
      v[j] /= Math.max(n, 1e-12);
    }
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      s += a[j] * b[j];
    }
    return s;
  }

  static Tensor tensor(double[][] x) {
    Tensor t = torch.empty(x.length, x[0].length);
    try (FloatPointer p = new FloatPointer(t.data_ptr())) {
      for (int i = 0; i < x.length; i++) {
        for (int j = 0; j < x[i].length; j++) {
          p.put((long) i * x[i].length + j, (float) x[i][j]);
        }
      }
    }
    return t;
  }

  static double[][] rows(Tensor t) {
    double[] v = TensorAssert.values(t);
    int n = (int) t.size(0);
    int d = (int) t.size(1);
    double[][] out = new double[n][];
    for (int i = 0; i < n; i++) {
      out[i] = Arrays.copyOfRange(v, i * d, (i + 1) * d);
    }
    return out;
  }

  /** Indices of the k rows of pool with the highest inner product with x, ties by lower index. */
  private static int[] nearest(double[] x, double[][] pool, int k) {
    return IntStream.range(0, pool.length).boxed()
        .sorted(Comparator.<Integer>comparingDouble(j -> -dot(x, pool[j])).thenComparingInt(j -> j))
        .limit(k).mapToInt(Integer::intValue).toArray();
  }

  private static void assertRowsClose(double[][] expected, double[][] actual, double tolerance, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      double diff = 0;
      double ref = 0;
      for (int j = 0; j < expected[i].length; j++) {
        diff += (expected[i][j] - actual[i][j]) * (expected[i][j] - actual[i][j]);
        ref += expected[i][j] * expected[i][j];
      }
      double error = Math.sqrt(diff / Math.max(ref, 1e-30));
      assertTrue(error < tolerance, what + " row " + i + ": relative error " + error);
    }
  }

  @Test
  void dbaIsTheSimilarityCubedWeightedSumOfTheNearestRows() {
    double[][] t = unitRows(seed, 53, 13);
    double[][] expected = new double[t.length][];
    for (int i = 0; i < t.length; i++) {
      double[] sum = new double[13];
      for (int j : nearest(t[i], t, 7)) {
        double w = Math.pow(dot(t[i], t[j]), 3);
        for (int c = 0; c < 13; c++) {
          sum[c] += w * t[j][c];
        }
      }
      normalize(sum);
      expected[i] = sum;
    }
    try (Tensor input = tensor(t);
        Tensor out = new Dba(7, 3).apply(input)) {
      assertRowsClose(expected, rows(out), 1e-5, "DBA (seed " + seed + ")");
    }
  }

  @Test
  void nesMovesEachRowAwayFromItsNearestNegativesAndRenormalises() {
    double[][] x = unitRows(seed, 41, 11);
    double[][] negatives = unitRows(seed + 1, 67, 11);
    double[][] expected = Arrays.stream(x).map(double[]::clone).toArray(double[][]::new);
    for (int it = 0; it < 2; it++) {
      for (double[] row : expected) {
        double[] mean = new double[11];
        for (int j : nearest(row, negatives, 9)) {
          for (int c = 0; c < 11; c++) {
            mean[c] += negatives[j][c] / 9;
          }
        }
        for (int c = 0; c < 11; c++) {
          row[c] -= 0.35 * mean[c];
        }
        normalize(row);
      }
    }
    try (Tensor input = tensor(x);
        Tensor neg = tensor(negatives);
        Tensor out = new NegativeEmbeddingSubtraction(9, 0.35, 2).apply(input, neg)) {
      assertRowsClose(expected, rows(out), 1e-5, "NES (seed " + seed + ")");
    }
  }

  @Test
  void scoreNormalizationSubtractsTheMeanOfTheChosenTrainingRanks() {
    double[][] q = unitRows(seed, 17, 9);
    double[][] r = unitRows(seed + 1, 23, 9);
    double[][] t = unitRows(seed + 2, 31, 9);
    ScoreNormalization norm = ScoreNormalization.parse("1.5[1,4]");
    try (Tensor qt = tensor(q);
        Tensor rt = tensor(r);
        Tensor tt = tensor(t);
        Tensor q1 = norm.queries(qt, tt);
        Tensor r1 = ScoreNormalization.references(rt);
        Tensor scores = q1.mm(r1.t())) {
      double[][] s = rows(scores);
      for (int i = 0; i < q.length; i++) {
        int[] top = nearest(q[i], t, 5);
        double mean = (dot(q[i], t[top[1]]) + dot(q[i], t[top[2]]) + dot(q[i], t[top[3]]) + dot(q[i], t[top[4]])) / 4;
        for (int j = 0; j < r.length; j++) {
          double expected = dot(q[i], r[j]) - 1.5 * mean;
          assertEquals(expected, s[i][j], 1e-5, "score (" + i + ", " + j + "), seed " + seed);
        }
      }
    }
  }

  @Test
  void scoreNormalizationSpecsParseAndBadOnesAreNamed() {
    assertEquals(new ScoreNormalization(1.0, 0, 2), ScoreNormalization.parse("1.0[0,2]"));
    assertEquals(new ScoreNormalization(2.0, 9, 9), ScoreNormalization.parse("2[9]"));
    assertEquals(ScoreNormalization.sscd(), ScoreNormalization.parse(ScoreNormalization.sscd().toString()));
    var e = assertThrows(IllegalArgumentException.class, () -> ScoreNormalization.parse("1.0(0,2)"));
    assertTrue(e.getMessage().contains("1.0(0,2)"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ScoreNormalization.parse("1.0[3,2]"));
  }

  @Test
  void whiteningDecorrelatesTheTrainingSetToUnitVariance() {
    // Correlated, anisotropic data: a random linear map of Gaussian rows.
    double[][] base = unitRows(seed, 400, 12);
    double[][] mix = unitRows(seed + 1, 12, 12);
    double[][] x = new double[400][12];
    for (int i = 0; i < 400; i++) {
      for (int j = 0; j < 12; j++) {
        for (int c = 0; c < 12; c++) {
          x[i][j] += base[i][c] * mix[c][j] * (c + 1);
        }
      }
    }
    try (Tensor train = tensor(x);
        Pca pca = Pca.whitening(train, 8);
        Tensor y = pca.apply(train)) {
      double[][] rows = rows(y);
      for (int a = 0; a < 8; a++) {
        for (int b = 0; b < 8; b++) {
          double c = 0;
          for (double[] row : rows) {
            c += row[a] * row[b];
          }
          assertEquals(a == b ? 1.0 : 0.0, c / rows.length, 1e-3, "whitened covariance (" + a + "," + b + ")");
        }
      }
      double[] eigen = pca.eigenvalues();
      for (int i = 1; i < eigen.length; i++) {
        assertTrue(eigen[i - 1] >= eigen[i], "eigenvalues descend");
      }
      // The largest eigenvalue equals the top of the covariance spectrum found by power iteration.
      assertEquals(powerIteration(x), eigen[0], 1e-4 * eigen[0], "largest eigenvalue, seed " + seed);
    }
  }

  /** The moments of parts, merged in any order, are those of the whole, checked against float64 sums. */
  @Test
  void pcaMomentsOfPartsMergeIntoThoseOfTheWhole() {
    double[][] x = unitRows(seed, 71, 9);
    for (double[] row : x) {  // off-centre, so that the merge's mean correction matters
      row[0] = (float) (row[0] + 2.5);  // still a float32 value
    }
    double[] mean = new double[9];
    for (double[] row : x) {
      for (int j = 0; j < 9; j++) {
        mean[j] += row[j] / x.length;
      }
    }
    double[] scatter = new double[81];
    for (double[] row : x) {
      for (int i = 0; i < 9; i++) {
        for (int j = 0; j < 9; j++) {
          scatter[i * 9 + j] += (row[i] - mean[i]) * (row[j] - mean[j]);
        }
      }
    }
    Pca.Moments[] parts = new Pca.Moments[4];
    int[] cuts = {0, 1, 30, 30, 71};  // one row, 29 rows, none, 41 rows
    for (int p = 0; p < 4; p++) {
      double[][] rows = Arrays.copyOfRange(x, cuts[p], cuts[p + 1]);
      try (Tensor part = rows.length == 0 ? torch.empty(0, 9) : tensor(rows)) {
        parts[p] = Pca.Moments.of(part);
      }
    }
    Pca.Moments leftToRight = Pca.Moments.merge(Pca.Moments.merge(Pca.Moments.merge(parts[0], parts[1]), parts[2]),
        parts[3]);
    Pca.Moments tree = Pca.Moments.merge(Pca.Moments.merge(parts[3], parts[1]), Pca.Moments.merge(parts[2], parts[0]));
    for (Pca.Moments m : new Pca.Moments[] {leftToRight, tree}) {
      assertEquals(71, m.count());
      // The rows are float32 values: both sides sum them in float64.
      assertEquals(0, TensorAssert.normRelativeError(m.mean(), mean), 1e-12, "mean, seed " + seed);
      assertEquals(0, TensorAssert.normRelativeError(m.scatter(), scatter), 1e-12, "scatter, seed " + seed);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Pca.Moments.merge(parts[0], new Pca.Moments(3, new double[2], new double[4])));
    assertTrue(e.getMessage().contains("9 and 2 dimensions"), e.getMessage());
  }

  @Test
  void fullPcaIsARotationAndItsFitIsReproducible(@TempDir Path dir) {
    double[][] x = unitRows(seed, 60, 7);
    try (Tensor train = tensor(x);
        Pca pca = Pca.fit(train, 7, 0);
        Pca again = Pca.fit(train, 7, 0);
        Tensor y = pca.apply(train);
        Tensor y2 = again.apply(train)) {
      TensorAssert.assertEqual(y, y2);
      double[][] out = rows(y);
      for (int i = 1; i < 60; i++) {
        double dx = 0;
        double dy = 0;
        for (int c = 0; c < 7; c++) {
          dx += (x[i][c] - x[0][c]) * (x[i][c] - x[0][c]);
          dy += (out[i][c] - out[0][c]) * (out[i][c] - out[0][c]);
        }
        assertEquals(Math.sqrt(dx), Math.sqrt(dy), 1e-5, "distances are kept");
      }
      Path file = dir.resolve("pca.h5");
      pca.save(file);
      try (Pca loaded = Pca.load(file);
          Tensor z = loaded.apply(train)) {
        TensorAssert.assertEqual(y, z);
        assertArrayEquals(pca.eigenvalues(), loaded.eigenvalues(), 0.0);
        assertEquals(0.0, loaded.eigenPower());
      }
    }
  }

  @Test
  void whiteningBeyondTheRankOfTheTrainingSetIsRefused() {
    double[][] x = unitRows(seed, 30, 6);
    for (double[] row : x) {
      row[5] = row[0] + row[1];  // rank 5
      row[4] = 0.5f;
    }
    try (Tensor train = tensor(x)) {
      var e = assertThrows(IllegalArgumentException.class, () -> Pca.whitening(train, 6));
      assertTrue(e.getMessage().contains("span only 4 dimensions"), e.getMessage());
      Pca.whitening(train, 4).close();
      assertThrows(IllegalArgumentException.class, () -> Pca.fit(train, 7, 0));
    }
  }

  private static double powerIteration(double[][] x) {
    int d = x[0].length;
    double[] mean = new double[d];
    for (double[] row : x) {
      for (int c = 0; c < d; c++) {
        mean[c] += row[c] / x.length;
      }
    }
    double[][] cov = new double[d][d];
    for (double[] row : x) {
      for (int a = 0; a < d; a++) {
        for (int b = 0; b < d; b++) {
          cov[a][b] += (row[a] - mean[a]) * (row[b] - mean[b]) / x.length;
        }
      }
    }
    double[] v = new double[d];
    Arrays.fill(v, 1);
    double lambda = 0;
    for (int it = 0; it < 5000; it++) {
      double[] w = new double[d];
      for (int a = 0; a < d; a++) {
        w[a] = dot(cov[a], v);
      }
      lambda = Math.sqrt(dot(w, w));
      for (int a = 0; a < d; a++) {
        v[a] = w[a] / lambda;
      }
    }
    return lambda;
  }
}
