package org.iscengine.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScoreFusionTest {
  private static final List<String> QUERIES = List.of("Q1", "Q2", "Q3");
  private static final List<String> REFERENCES = List.of("R1", "R2", "R3", "R4");

  /** Rows "Qq Rr score". */
  private static Predictions of(String... rows) {
    int[] q = new int[rows.length];
    int[] r = new int[rows.length];
    float[] s = new float[rows.length];
    for (int i = 0; i < rows.length; i++) {
      String[] f = rows[i].split(" ");
      q[i] = QUERIES.indexOf(f[0]);
      r[i] = REFERENCES.indexOf(f[1]);
      s[i] = Float.parseFloat(f[2]);
    }
    return new Predictions(QUERIES, REFERENCES, q, r, s);
  }

  private static final Predictions A = of("Q1 R1 0.9", "Q1 R2 0.5", "Q2 R3 0.8");
  private static final Predictions B = of("Q1 R2 0.7", "Q1 R4 0.6", "Q3 R1 0.4");

  private static List<String> pairs(Predictions p) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < p.size(); i++) {
      out.add(p.queryId(i) + " " + p.referenceId(i));
    }
    return out;
  }

  private static void assertScores(Predictions p, double... expected) {
    assertEquals(expected.length, p.size());
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], p.score(i), 1e-6, "row " + i + " " + pairs(p).get(i));
    }
  }

  @Test
  void meanCountsAMissingPairAsTheSystemsLowestForItsQuery() {
    Predictions fused = ScoreFusion.fuse(List.of(A, B), new double[] {1, 1}, ScoreFusion.Rule.MEAN, 0);
    // Q1 R1: B's lowest for Q1 is 0.6; Q2 R3: B has no Q2, its lowest of all is 0.4; Q3 R1: A's lowest is 0.5.
    assertEquals(List.of("Q1 R1", "Q1 R2", "Q2 R3", "Q1 R4", "Q3 R1"), pairs(fused));
    assertScores(fused, (0.9 + 0.6) / 2, (0.5 + 0.7) / 2, (0.8 + 0.4) / 2, (0.5 + 0.6) / 2, (0.5 + 0.4) / 2);
    Predictions weighted = ScoreFusion.fuse(List.of(A, B), new double[] {3, 1}, ScoreFusion.Rule.MEAN, 2);
    assertEquals(List.of("Q1 R1", "Q2 R3"), pairs(weighted));
    assertScores(weighted, (3 * 0.9 + 0.6) / 4, (3 * 0.8 + 0.4) / 4);
  }

  @Test
  void maxTakesTheHighestWeightedScoreOfTheSystemsThatListedThePair() {
    Predictions fused = ScoreFusion.fuse(List.of(A, B), new double[] {1, 2}, ScoreFusion.Rule.MAX, 0);
    assertEquals(List.of("Q1 R2", "Q1 R4", "Q1 R1", "Q2 R3", "Q3 R1"), pairs(fused));
    assertScores(fused, 1.4, 1.2, 0.9, 0.8, 0.8);
  }

  @Test
  void reciprocalRankFusionUsesRanksOnly() {
    Predictions scaled = of("Q1 R1 900", "Q1 R2 500", "Q2 R3 800");  // A on another scale: same ranks
    Predictions fused = ScoreFusion.fuse(List.of(scaled, B), new double[] {1, 1}, ScoreFusion.Rule.RECIPROCAL_RANK, 0);
    assertEquals(List.of("Q1 R2", "Q1 R1", "Q2 R3", "Q3 R1", "Q1 R4"), pairs(fused));
    assertScores(fused, 1.0 / 62 + 1.0 / 61, 1.0 / 61, 1.0 / 61, 1.0 / 61, 1.0 / 62);
  }

  @Test
  void refusesWhatCannotBeFused() {
    assertThrows(IllegalArgumentException.class, () -> ScoreFusion.fuse(List.of(A), new double[] {1},
        ScoreFusion.Rule.MEAN, 0));
    assertThrows(IllegalArgumentException.class, () -> ScoreFusion.fuse(List.of(A, B), new double[] {1},
        ScoreFusion.Rule.MEAN, 0));
    assertThrows(IllegalArgumentException.class, () -> ScoreFusion.fuse(List.of(A, B), new double[] {1, 0},
        ScoreFusion.Rule.MAX, 0));
    assertThrows(IllegalArgumentException.class, () -> ScoreFusion.fuse(List.of(A, B), new double[] {1, Double.NaN},
        ScoreFusion.Rule.MAX, 0));
  }
}
