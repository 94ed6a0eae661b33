package org.iscengine.match;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PartMatchingTest {
  @Test
  void aPairScoresAsItsBestPartToPartMatch() {
    List<String> queries = List.of("Q1#0", "Q1#3", "Q2#0");
    List<String> references = List.of("R1#0", "R1#2", "R2#0");
    Predictions parts = new Predictions(queries, references, new int[] {0, 1, 0, 2, 2},
        new int[] {1, 0, 2, 2, 0}, new float[] {0.5f, 0.9f, 0.7f, 0.2f, 0.3f});
    Predictions images = PartMatching.fold(parts, 0);
    assertEquals(4, images.size());
    assertEquals("Q1 R1 0.9", row(images, 0));
    assertEquals("Q1 R2 0.7", row(images, 1));
    assertEquals("Q2 R1 0.3", row(images, 2));
    assertEquals("Q2 R2 0.2", row(images, 3));
    assertEquals(2, PartMatching.fold(parts, 2).size());

    PartMatching.Cost cost = PartMatching.cost(queries, List.of("R1#0", "R1#1", "R1#2", "R2#0"));
    assertEquals(1.5, cost.queryParts(), 1e-12);
    assertEquals(2.0, cost.referenceParts(), 1e-12);
    assertEquals(3.0, cost.searchFactor(), 1e-12);
  }

  private static String row(Predictions p, int i) {
    return p.queryId(i) + " " + p.referenceId(i) + " " + p.score(i);
  }
}
