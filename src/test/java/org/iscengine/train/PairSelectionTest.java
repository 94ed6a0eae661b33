package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.iscengine.augment.Rng;
import org.iscengine.train.PairSelection.Relation;
import org.iscengine.train.PairSelection.Thresholds;
import org.junit.jupiter.api.Test;

class PairSelectionTest {
  /** Image 0's pool (most similar first): 4 at 0.9, 2 at 0.75, 5 at 0.7, 1 at 0.6, 3 at 0.4. */
  private static CandidatePool handMadePool() {
    int n = 6;
    int k = 5;
    int[] ids = new int[n * k];
    float[] sims = new float[n * k];
    int[] pool0 = {4, 2, 5, 1, 3};
    float[] sims0 = {0.9f, 0.75f, 0.7f, 0.6f, 0.4f};
    System.arraycopy(pool0, 0, ids, 0, k);
    System.arraycopy(sims0, 0, sims, 0, k);
    for (int i = 1; i < n; i++) {  // every other image: the others in id order, all at 0.2
      int r = 0;
      for (int j = 0; j < n; j++) {
        if (j != i) {
          ids[i * k + r] = j;
          sims[i * k + r] = 0.2f;
          r++;
        }
      }
    }
    return new CandidatePool(n, k, ids, sims);
  }

  @Test
  void theBaseThresholdsSplitThePoolIntoPositivesUncertainAndHardNegatives() {
    PairSelection s = PairSelection.of(handMadePool(), Thresholds.of(0.65, 0.55), null, 0);
    assertArrayEquals(new int[] {2, 4, 5}, s.positives(0), "similarity >= 0.65");
    assertArrayEquals(new int[] {1}, s.uncertain(0), "0.55 <= similarity < 0.65");
    assertArrayEquals(new int[] {3}, s.negatives(0), "similarity < 0.55");
    assertEquals(Relation.POSITIVE, s.relation(0, 0), "an image is its own positive");
    assertEquals(Relation.POSITIVE, s.relation(0, 5));
    assertEquals(Relation.IGNORED, s.relation(0, 1));
    assertEquals(Relation.NEGATIVE, s.relation(0, 3));
    assertArrayEquals(new int[0], s.positives(1));
    assertEquals(5, s.negatives(1).length);
  }

  @Test
  void theImprThresholdsAreStricterForPositivesAndLooserForNegatives() {
    PairSelection s = PairSelection.of(handMadePool(), Thresholds.of(0.75, 0.5), null, 0);
    assertArrayEquals(new int[] {2, 4}, s.positives(0), "0.75 itself is a positive");
    assertArrayEquals(new int[] {1, 5}, s.uncertain(0));
    assertArrayEquals(new int[] {3}, s.negatives(0));
  }

  @Test
  void anImageOutsideThePoolIsANegative() {
    int n = 4;
    int[] ids = {1, 2, 0, 2, 0, 1, 0, 1};
    float[] sims = {0.9f, 0.6f, 0.9f, 0.5f, 0.6f, 0.5f, 0.1f, 0.1f};
    PairSelection s = PairSelection.of(new CandidatePool(n, 2, ids, sims), Thresholds.of(0.65, 0.55), null, 0);
    assertEquals(Relation.NEGATIVE, s.relation(0, 3), "3 is not among 0's 2 candidates");
    assertEquals(Relation.IGNORED, s.relation(0, 2));
    assertEquals(Relation.POSITIVE, s.relation(0, 1));
  }

  @Test
  void theExpansionPromotesUncertainCandidatesThatResembleThePositives() {
    // 2-d unit features: 0 at angle 0, its positive 1 at 10 degrees; uncertain 2 at 30 degrees (close to 1),
    // uncertain 3 at -80 degrees (like nothing), 4 a hard negative.
    double[] angles = {0, 10, 30, -80, 180};
    float[] f = new float[angles.length * 2];
    for (int i = 0; i < angles.length; i++) {
      f[2 * i] = (float) Math.cos(Math.toRadians(angles[i]));
      f[2 * i + 1] = (float) Math.sin(Math.toRadians(angles[i]));
    }
    int n = 5;
    int k = 4;
    int[] ids = new int[n * k];
    float[] sims = new float[n * k];
    int[] pool0 = {1, 2, 3, 4};
    float[] sims0 = {0.8f, 0.6f, 0.6f, 0.1f};  // 2 and 3 tie in the pool: only the expansion separates them
    System.arraycopy(pool0, 0, ids, 0, k);
    System.arraycopy(sims0, 0, sims, 0, k);
    for (int i = 1; i < n; i++) {
      int r = 0;
      for (int j = 0; j < n; j++) {
        if (j != i) {
          ids[i * k + r++] = j;
        }
      }
    }
    CandidatePool pool = new CandidatePool(n, k, ids, sims);
    PairSelection s = PairSelection.of(pool, new Thresholds(0.75, 0.5, 4, 0.6, 1), f, 2);
    assertArrayEquals(new int[] {1, 2}, s.positives(0), "2 resembles 0 and 1 (cos 30, cos 20)");
    assertArrayEquals(new int[] {3}, s.uncertain(0), "3 resembles neither (cos 80, cos 90 < 0.6)");
    assertArrayEquals(new int[] {4}, s.negatives(0));
    PairSelection base = PairSelection.of(pool, Thresholds.of(0.75, 0.5), f, 2);
    assertArrayEquals(new int[] {1}, base.positives(0));
  }

  @Test
  void thresholdsOutOfOrderAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Thresholds.of(0.5, 0.6));
    assertTrue(e.getMessage().contains("negative <= positive"), e.getMessage());
  }

  @Test
  void aBatchTrainsEachAnchorWithItsPositivesAndMasksPairsByTheirRelation() {
    PairSelection s = PairSelection.of(handMadePool(), Thresholds.of(0.65, 0.55), null, 0);
    StepBatch batch = StepBatch.of(new int[] {0, 1}, 2, s, new Rng(3));
    assertEquals(6, batch.images().length);
    assertEquals(0, batch.images()[0]);
    assertTrue(java.util.Set.of(2, 4, 5).contains(batch.images()[1]));
    assertTrue(java.util.Set.of(2, 4, 5).contains(batch.images()[2]));
    assertTrue(batch.images()[1] != batch.images()[2], "positives drawn without replacement");
    assertArrayEquals(new int[] {1, 1, 1}, java.util.Arrays.copyOfRange(batch.images(), 3, 6),
        "image 1 has no positive: further views of itself");
    int[] memory = {3, 1};
    float[][] masks = batch.masks(memory, s);
    int columns = 8;
    assertEquals(0, masks[0][0] + masks[1][0], "a row with itself is left out");
    assertEquals(1, masks[0][1], "the anchor's positive");
    assertEquals(0, masks[0][3] + masks[1][3], "image 1 is uncertain for anchor 0: left out");
    assertEquals(1, masks[1][3 * columns], "image 0 is a negative of anchor 1");
    assertEquals(1, masks[0][3 * columns + 4], "two views of image 1 are positives");
    assertEquals(1, masks[1][6], "memory image 3: anchor 0's hard negative");
    assertEquals(1, masks[0][3 * columns + 7], "memory image 1: anchor 1's own stale row, a positive");
  }
}
