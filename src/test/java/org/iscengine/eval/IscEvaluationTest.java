package org.iscengine.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.iscengine.match.Predictions;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IscEvaluationTest {
  record Row(String q, String r, float score) {}

  static Predictions predictions(List<Row> rows) {
    List<String> qs = new ArrayList<>();
    List<String> rs = new ArrayList<>();
    Map<String, Integer> qi = new HashMap<>();
    Map<String, Integer> ri = new HashMap<>();
    int[] q = new int[rows.size()];
    int[] r = new int[rows.size()];
    float[] s = new float[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      Row row = rows.get(i);
      q[i] = qi.computeIfAbsent(row.q(), k -> { qs.add(k); return qs.size() - 1; });
      r[i] = ri.computeIfAbsent(row.r(), k -> { rs.add(k); return rs.size() - 1; });
      s[i] = row.score();
    }
    return new Predictions(qs, rs, q, r, s);
  }

  static GroundTruth truth(String... rows) {
    Set<String> queries = new LinkedHashSet<>();
    List<GroundTruth.Match> matches = new ArrayList<>();
    for (String row : rows) {
      String[] c = row.split(",", -1);
      queries.add(c[0]);
      if (!c[1].isEmpty()) {
        matches.add(new GroundTruth.Match(c[0], c[1]));
      }
    }
    return new GroundTruth(queries, matches);
  }

  @Test
  void handComputedCaseWithADistractorAnUnmatchedQueryAndAnUnknownOne() {
    GroundTruth gt = truth("Q1,R1", "Q2,R2", "Q3,", "Q4,R4");
    Predictions p = predictions(List.of(
        new Row("Q1", "R1", 0.9f), new Row("Q2", "R9", 0.8f), new Row("Q3", "R3", 0.8f),
        new Row("Q2", "R2", 0.7f), new Row("Q5", "R5", 0.95f)));
    IscMetrics m = IscEvaluation.evaluate(p, gt).metrics();
    assertEquals(0.5, m.microAveragePrecision(), 1e-12);  // (1/1 + 2/4) / 3
    assertEquals(1.0 / 3, m.recallAtP90(), 1e-12);
    assertEquals(0.9, m.thresholdAtP90(), 1e-6);
    assertEquals(1.0 / 3, m.recallAtRank1(), 1e-12);
    assertEquals(2.0 / 3, m.recallAtRank10(), 1e-12);
    assertEquals(3, m.groundTruthMatches());
    assertEquals(4, m.predictions());
    assertEquals(2, m.truePositives());
    assertEquals(1, m.ignored());
  }

  @Test
  void equalScoresCountInTheWorstOrder() {
    GroundTruth gt = truth("Q1,R1");
    Predictions p = predictions(List.of(new Row("Q1", "R1", 0.5f), new Row("Q1", "R7", 0.5f)));
    IscMetrics m = IscEvaluation.evaluate(p, gt).metrics();
    assertEquals(0.5, m.microAveragePrecision(), 1e-12);
    assertNull(m.recallAtP90(), "precision never reaches 0.9 in the worst order");
    assertEquals(0.0, m.recallAtRank1());
    assertEquals(1.0, m.recallAtRank10());
  }

  @Test
  void emptyAndOneRowPredictions() {
    GroundTruth gt = truth("Q1,R1", "Q2,");
    IscMetrics none = IscEvaluation.evaluate(predictions(List.of()), gt).metrics();
    assertEquals(0.0, none.microAveragePrecision());
    assertNull(none.recallAtP90());
    assertEquals(0.0, none.recallAtRank10());
    IscMetrics one = IscEvaluation.evaluate(predictions(List.of(new Row("Q1", "R1", -3f))), gt).metrics();
    assertEquals(1.0, one.microAveragePrecision());
    assertEquals(1.0, one.recallAtP90());
    assertEquals(-3.0, one.thresholdAtP90());
    assertEquals(1.0, one.recallAtRank1());
    IscMetrics wrong = IscEvaluation.evaluate(predictions(List.of(new Row("Q2", "R1", 1f))), gt).metrics();
    assertEquals(0.0, wrong.microAveragePrecision());
    assertNull(wrong.recallAtP90());
  }

  @Test
  void duplicateRowsAreAnErrorNamingThePair() {
    GroundTruth gt = truth("Q1,R1");
    Predictions p = predictions(List.of(new Row("Q1", "R1", 0.5f), new Row("Q1", "R2", 0.4f),
        new Row("Q1", "R1", 0.1f)));
    var e = assertThrows(IllegalArgumentException.class, () -> IscEvaluation.evaluate(p, gt));
    assertTrue(e.getMessage().contains("Q1,R1"), e.getMessage());
  }

  @Test
  void groundTruthCsvIsReadWithDistractorsAndBadRowsAreNamed(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("gt.csv");
    Files.writeString(csv, "query_id,reference_id\nQ00000,R000003\nQ00001,\nQ00002,R000001\n");
    GroundTruth gt = GroundTruth.read(csv);
    assertEquals(Set.of("Q00000", "Q00001", "Q00002"), gt.queries());
    assertEquals(2, gt.matches().size());
    assertTrue(gt.isMatch("Q00002", "R000001"));
    assertTrue(gt.referencesOf("Q00001").isEmpty());
    Files.writeString(csv, "query_id,reference_id\nQ00000,R000003,0.5\n");
    var e = assertThrows(IllegalArgumentException.class, () -> GroundTruth.read(csv));
    assertTrue(e.getMessage().contains("gt.csv:2"), e.getMessage());
    Files.writeString(csv, "Q00000,R000003\nQ00000,R000003\n");
    e = assertThrows(IllegalArgumentException.class, () -> GroundTruth.read(csv));
    assertTrue(e.getMessage().contains("duplicate"), e.getMessage());
  }

  /** The metric computed the plain way: objects sorted by (score desc, false first), ranks by scan. */
  private static double[] bruteForce(List<Row> rows, GroundTruth gt) {
    List<Row> kept = rows.stream().filter(r -> gt.queries().contains(r.q())).toList();
    List<Row> sorted = new ArrayList<>(kept);
    sorted.sort(Comparator.comparingDouble((Row r) -> -r.score()).thenComparing(r -> gt.isMatch(r.q(), r.r())));
    int n = gt.matches().size();
    double ap = 0;
    double previousRecall = 0;
    int tp = 0;
    double bestRecall = -1;
    for (int i = 0; i < sorted.size(); i++) {
      if (gt.isMatch(sorted.get(i).q(), sorted.get(i).r())) {
        tp++;
      }
      double precision = (double) tp / (i + 1);
      double recall = (double) tp / n;
      ap += (recall - previousRecall) * precision;
      previousRecall = recall;
      if (precision >= 0.9) {
        bestRecall = Math.max(bestRecall, recall);
      }
    }
    int rank1 = 0;
    int rank10 = 0;
    for (GroundTruth.Match m : gt.matches()) {
      List<Row> mine = kept.stream().filter(r -> r.q().equals(m.query())).toList();
      var hit = mine.stream().filter(r -> r.r().equals(m.reference())).findFirst();
      if (hit.isPresent()) {
        long rank = mine.stream().filter(r -> r.score() >= hit.get().score()).count() - 1;
        rank1 += rank == 0 ? 1 : 0;
        rank10 += rank < 10 ? 1 : 0;
      }
    }
    return new double[] {ap, bestRecall, (double) rank1 / n, (double) rank10 / n};
  }

  @Test
  void randomPredictionsAgreeWithTheBruteForceMetric() {
    long seed = RandomTensors.freshSeed();
    Random random = new Random(seed);
    for (int trial = 0; trial < 30; trial++) {
      int queries = 5 + random.nextInt(40);
      int refs = 5 + random.nextInt(60);
      List<String> gtRows = new ArrayList<>();
      for (int q = 0; q < queries; q++) {
        gtRows.add("Q" + q + "," + (random.nextInt(3) == 0 ? "" : "R" + random.nextInt(refs)));
      }
      GroundTruth gt = truth(gtRows.toArray(String[]::new));
      Set<String> seen = new HashSet<>();
      List<Row> rows = new ArrayList<>();
      int count = random.nextInt(400);
      for (int i = 0; i < count; i++) {
        String q = "Q" + random.nextInt(queries + 3);  // some queries outside the ground truth
        String r = "R" + random.nextInt(refs);
        if (seen.add(q + "," + r)) {
          rows.add(new Row(q, r, random.nextInt(12) / 4f));  // few distinct scores: many ties
        }
      }
      IscMetrics m = IscEvaluation.evaluate(predictions(rows), gt).metrics();
      double[] expected = bruteForce(rows, gt);
      String what = "trial " + trial + ", seed " + seed;
      assertEquals(expected[0], m.microAveragePrecision(), 1e-12, what);
      assertEquals(expected[1] < 0 ? null : expected[1], m.recallAtP90(), what);
      assertEquals(expected[2], m.recallAtRank1(), 1e-12, what);
      assertEquals(expected[3], m.recallAtRank10(), 1e-12, what);
    }
  }
}
