package org.iscengine.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BiConsumer;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.kernels.Metric;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.iscengine.testing.TestDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MatcherTest {
  private final long seed = RandomTensors.freshSeed();

  /** Small-integer vectors: exact scores in float32, many ties. */
  private static Descriptors integers(long seed, String prefix, int n, int d) {
    return TestDescriptors.numbered(prefix, RandomTensors.integers(seed, -2, 2, n, d));
  }

  /** Integer queries Q0.. and references R0.. of dimension d, from the test's seed. */
  private void withIntegers(int nq, int nr, int d, BiConsumer<Descriptors, Descriptors> test) {
    try (Descriptors q = integers(seed, "Q", nq, d);
        Descriptors r = integers(seed + 1, "R", nr, d)) {
      test.accept(q, r);
    }
  }

  private record Pair(int q, int r, double score) {}

  /** Every pair scored in Java, best first (score, then query, then reference). */
  private static List<Pair> bruteForce(Descriptors queries, Descriptors refs, Metric metric) {
    double[] q = TensorAssert.values(queries.vectors());
    double[] r = TensorAssert.values(refs.vectors());
    int d = queries.dim();
    List<Pair> pairs = new ArrayList<>();
    for (int i = 0; i < queries.size(); i++) {
      for (int j = 0; j < refs.size(); j++) {
        double s = 0;
        for (int c = 0; c < d; c++) {
          double a = q[i * d + c];
          double b = r[j * d + c];
          s += metric == Metric.L2 ? -(a - b) * (a - b) : a * b;
        }
        pairs.add(new Pair(i, j, s));
      }
    }
    pairs.sort(Comparator.comparingDouble((Pair p) -> -p.score()).thenComparingInt(Pair::q).thenComparingInt(Pair::r));
    return pairs;
  }

  private static void assertSame(List<Pair> expected, Predictions actual, String what) {
    assertEquals(expected.size(), actual.size(), what + ": count");
    for (int i = 0; i < expected.size(); i++) {
      Pair p = expected.get(i);
      String at = what + ", row " + i;
      assertEquals(p.score(), actual.score(i), 0.0, at);
      assertEquals(p.q(), actual.queryIndex(i), at);
      assertEquals(p.r(), actual.referenceIndex(i), at);
    }
  }

  @Test
  void globalTopPairsEqualBruteForceTiesIncluded() {
    for (Metric metric : Metric.values()) {
      withIntegers(29, 61, 7, (q, r) -> {
        List<Pair> all = bruteForce(q, r, metric);
        for (int n : new int[] {1, 17, 100, 29 * 61 - 5, 5000}) {
          Predictions top = new Matcher(metric).top(q, r, n);
          assertSame(all.subList(0, Math.min(n, all.size())), top, metric + " top " + n + " (seed " + seed + ")");
        }
      });
    }
  }

  @Test
  void queriesNeedingMoreThanTheKernelsKAreScoredInFull() {
    withIntegers(3, 1500, 5, (q, r) -> {
      List<Pair> all = bruteForce(q, r, Metric.INNER_PRODUCT);
      Predictions top = new Matcher(Metric.INNER_PRODUCT).top(q, r, 4000);
      assertSame(all.subList(0, 4000), top, "top 4000 of 3 x 1500 (seed " + seed + ")");
    });
  }

  @Test
  void perQueryKnnKeepsEachQuerysBestInOrder() {
    withIntegers(13, 40, 6, (q, r) -> {
      List<Pair> all = bruteForce(q, r, Metric.L2);
      Predictions knn = new Matcher(Metric.L2).knn(q, r, 5);
      assertEquals(13 * 5, knn.size());
      for (int i = 0; i < 13; i++) {
        int query = i;
        List<Pair> mine = all.stream().filter(p -> p.q() == query).limit(5).toList();
        for (int j = 0; j < 5; j++) {
          assertEquals(mine.get(j).r(), knn.referenceIndex(i * 5 + j), "query " + i + " rank " + j);
          assertEquals(mine.get(j).score(), knn.score(i * 5 + j), 0.0);
          assertEquals("Q" + i, knn.queryId(i * 5 + j));
        }
      }
      assertThrows(IllegalArgumentException.class, () -> new Matcher(Metric.L2).knn(q, r, 41));
      assertThrows(IllegalArgumentException.class, () -> new Matcher(Metric.L2).top(q, r, 0));
    });
  }

  @Test
  void bestPerQueryKeepsEachQuerysHighestRowsInTheirOrder() {
    // Folded or fused predictions: rows in any order, one query with fewer rows than k.
    Predictions p = new Predictions(List.of("q0", "q1"), List.of("a", "b", "c", "d"),
        new int[] {0, 1, 0, 0, 1, 0}, new int[] {0, 0, 1, 2, 3, 3}, new float[] {0.1f, 0.5f, 0.9f, 0.4f, 0.7f, 0.4f});
    Predictions best = Matcher.bestPerQuery(p, 2);
    assertEquals(4, best.size());
    // q0: b 0.9, then the tie at 0.4 broken by reference index (c before d); q1 keeps both rows.
    List<String> rows = new java.util.ArrayList<>();
    for (int i = 0; i < best.size(); i++) {
      rows.add(best.queryId(i) + ":" + best.referenceId(i) + ":" + best.score(i));
    }
    assertEquals(List.of("q1:a:0.5", "q0:b:0.9", "q0:c:0.4", "q1:d:0.7"), rows);
    assertThrows(IllegalArgumentException.class, () -> Matcher.bestPerQuery(p, 0));
  }

  @Test
  void scoresRelativeToARankSubtractThatRanksScoreAndDropTheRest() {
    withIntegers(13, 40, 6, (q, r) -> {
      Predictions knn = new Matcher(Metric.INNER_PRODUCT).knn(q, r, 5);
      Predictions rel = Matcher.relativeToRank(knn, 5);
      assertEquals(13 * 4, rel.size());
      for (int i = 0; i < 13; i++) {
        float fifth = knn.score(i * 5 + 4);
        for (int j = 0; j < 4; j++) {
          assertEquals(knn.referenceIndex(i * 5 + j), rel.referenceIndex(i * 4 + j), "query " + i + " rank " + j);
          assertEquals(knn.score(i * 5 + j) - fifth, rel.score(i * 4 + j), 0.0);  // integers: exact
          assertEquals("Q" + i, rel.queryId(i * 4 + j));
        }
      }
      // A query far above its 3rd neighbour outranks one whose neighbours are alike, whatever the raw scores.
      Predictions two = new Predictions(List.of("flat", "distinct"), List.of("a", "b", "c"),
          new int[] {0, 0, 0, 1, 1, 1}, new int[] {0, 1, 2, 0, 1, 2}, new float[] {0.99f, 0.98f, 0.97f, 0.6f, 0.2f, 0.1f});
      Predictions relTwo = Matcher.relativeToRank(two, 3);
      assertEquals(4, relTwo.size());
      assertTrue(relTwo.score(2) > relTwo.score(0), "distinct query's best (0.5) above the flat one's (0.02)");
      assertThrows(IllegalArgumentException.class, () -> Matcher.relativeToRank(knn, 1));
      IllegalArgumentException few = assertThrows(IllegalArgumentException.class, () -> Matcher.relativeToRank(knn, 6));
      assertTrue(few.getMessage().contains("fewer than the reference rank 6"), few.getMessage());
    });
  }

  @Test
  void aDeepCandidateListRelativeToARankKeepsThePairsPastThatRank() {
    withIntegers(11, 30, 5, (q, r) -> {
      Predictions knn = new Matcher(Metric.INNER_PRODUCT).knn(q, r, 9);
      Predictions deep = Matcher.relativeToRank(knn, 4, 9);
      assertEquals(11 * 9, deep.size());
      for (int i = 0; i < 11; i++) {
        float fourth = knn.score(i * 9 + 3);
        for (int j = 0; j < 9; j++) {
          assertEquals(knn.referenceIndex(i * 9 + j), deep.referenceIndex(i * 9 + j), "query " + i + " rank " + j);
          assertEquals(knn.score(i * 9 + j) - fourth, deep.score(i * 9 + j), 0.0);
          if (j >= 3) {
            assertTrue(deep.score(i * 9 + j) <= 0, "query " + i + " rank " + j + ": from the 4th on, scores <= 0");
          }
        }
      }
      // Asking for more than a query has keeps what it has; fewer than rank - 1 is refused.
      assertEquals(11 * 9, Matcher.relativeToRank(knn, 4, 20).size());
      IllegalArgumentException shallow = assertThrows(IllegalArgumentException.class,
          () -> Matcher.relativeToRank(knn, 4, 2));
      assertTrue(shallow.getMessage().contains("rank - 1 = 3"), shallow.getMessage());
    });
  }

  @Test
  void csvRoundTripsAndBadRowsNameTheirLine(@TempDir Path dir) throws Exception {
    try (Descriptors q = integers(seed, "Q", 4, 3);
        Descriptors r = integers(seed + 1, "R", 9, 3)) {
      Predictions p = new Matcher(Metric.INNER_PRODUCT).knn(q, r, 3);
      Path file = dir.resolve("predictions.csv");
      PredictionsCsv.write(file, p);
      assertEquals(PredictionsCsv.HEADER, Files.readAllLines(file).get(0));
      Predictions back = PredictionsCsv.read(file);
      assertEquals(p.size(), back.size());
      for (int i = 0; i < p.size(); i++) {
        assertEquals(p.queryId(i), back.queryId(i));
        assertEquals(p.referenceId(i), back.referenceId(i));
        assertEquals(p.score(i), back.score(i), 0.0);
      }
    }
    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, "query_id,reference_id,score\nQ1,R1,0.5\nQ2,R2\n");
    var e = assertThrows(IllegalArgumentException.class, () -> PredictionsCsv.read(bad));
    assertTrue(e.getMessage().contains("bad.csv:3"), e.getMessage());
    Files.writeString(bad, "Q1,R1,high\n");
    e = assertThrows(IllegalArgumentException.class, () -> PredictionsCsv.read(bad));
    assertTrue(e.getMessage().contains("bad.csv:1") && e.getMessage().contains("'high'"), e.getMessage());
    Files.writeString(bad, "Q1,R1,NaN\n");
    assertThrows(IllegalArgumentException.class, () -> PredictionsCsv.read(bad));
  }

  @Test
  void scoresOfL2AreNegatedSquaredDistances() {
    try (Descriptors q = new Descriptors(List.of("q"), tensor(new float[] {1, 2}));
        Descriptors r = new Descriptors(List.of("r"), tensor(new float[] {4, -2}))) {
      assertEquals(-25f, new Matcher(Metric.L2).knn(q, r, 1).score(0));
      assertEquals(0f, new Matcher(Metric.INNER_PRODUCT).knn(q, r, 1).score(0));
    }
  }

  private static Tensor tensor(float[] row) {
    Tensor t = org.bytedeco.pytorch.global.torch.empty(1, row.length);
    try (org.bytedeco.javacpp.FloatPointer p = new org.bytedeco.javacpp.FloatPointer(t.data_ptr())) {
      p.put(row);
    }
    return t;
  }
}
