package org.iscengine.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.iscengine.eval.IscEvaluationTest.Row;
import org.junit.jupiter.api.Test;

/** μAP per group of queries (per edit kind), worked out by hand. */
class GroupEvaluationTest {
  @Test
  void eachGroupIsEvaluatedOnItsOwnQueriesAndPairs() {
    GroundTruth truth = new GroundTruth(Set.of("Q1", "Q2", "Q3", "Q4"), List.of(new GroundTruth.Match("Q1", "R1"),
        new GroundTruth.Match("Q2", "R2"), new GroundTruth.Match("Q4", "R4")));
    var predictions = IscEvaluationTest.predictions(List.of(new Row("Q1", "R1", 0.9f), new Row("Q1", "R9", 0.5f),
        new Row("Q2", "R7", 0.8f), new Row("Q2", "R2", 0.6f), new Row("Q3", "R5", 0.7f), new Row("Q4", "R3", 0.95f)));
    // Q9 is not in the ground truth: it belongs to no group.
    Map<String, List<String>> edits = Map.of("Q1", List.of("text"), "Q2", List.of("text", "blur"), "Q3",
        List.of("blur"), "Q4", List.of("crop"), "Q9", List.of("emoji"));

    Map<String, GroupEvaluation.Group> groups = GroupEvaluation.evaluate(predictions, truth, edits);

    assertEquals(List.of("blur", "crop", "text"), List.copyOf(groups.keySet()));
    // text: Q1-R1 0.9 hit (precision 1), Q2-R7 0.8 miss, Q2-R2 0.6 hit (2/3), Q1-R9 0.5 miss; 2 pairs.
    assertEquals((1 + 2.0 / 3) / 2, groups.get("text").metrics().microAveragePrecision(), 1e-12);
    assertEquals(new GroupEvaluation.Group(2, 2, groups.get("text").metrics()), groups.get("text"));
    assertEquals(0.5, groups.get("text").metrics().recallAtRank1(), 1e-12);  // R2 ranks second for Q2
    // blur: Q2-R7 0.8 miss, Q3-R5 0.7 miss (a distractor of the group), Q2-R2 0.6 hit (1/3); 1 pair.
    assertEquals(1.0 / 3, groups.get("blur").metrics().microAveragePrecision(), 1e-12);
    assertEquals(2, groups.get("blur").queries());
    assertEquals(1, groups.get("blur").copies());
    // crop: its one copy was never found.
    assertEquals(0.0, groups.get("crop").metrics().microAveragePrecision(), 0.0);
    assertEquals(1, groups.get("crop").metrics().predictions());
    // All queries together: hits at ranks 2 and 5 of 6 rows, 3 pairs: (1/2 + 2/5) / 3.
    assertEquals((0.5 + 0.4) / 3, IscEvaluation.evaluate(predictions, truth).metrics().microAveragePrecision(),
        1e-12);
  }
}
