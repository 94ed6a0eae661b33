package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PkSamplerTest {
  @Test
  void batchesHoldPDistinctClassesOfKMembersAndEveryClassComesOncePerEpoch() {
    int[] members = {5, 1, 4, 7, 2, 3, 6, 4, 5};
    PkSampler sampler = new PkSampler(members, 3, 4, 11);
    Set<Integer> epoch = new HashSet<>();
    for (int b = 0; b < 3; b++) {  // 9 classes, 3 per batch: one epoch
      List<PkSampler.Draw> batch = sampler.next();
      assertEquals(12, batch.size());
      Set<Integer> classes = new HashSet<>();
      for (int i = 0; i < 3; i++) {
        int label = batch.get(4 * i).label();
        assertTrue(classes.add(label), "distinct classes in a batch");
        Set<Integer> seen = new HashSet<>();
        for (int k = 0; k < 4; k++) {
          PkSampler.Draw d = batch.get(4 * i + k);
          assertEquals(label, d.label());
          assertTrue(d.member() >= 0 && d.member() < members[label]);
          seen.add(d.member());
        }
        assertEquals(Math.min(4, members[label]), seen.size(), "no repeats while the class has enough members");
      }
      epoch.addAll(classes);
    }
    assertEquals(9, epoch.size(), "every class once per epoch");
    assertEquals(new PkSampler(members, 3, 4, 11).next(), new PkSampler(members, 3, 4, 11).next(), "seeded");
  }

  @Test
  void refusesImpossibleBatches() {
    assertThrows(IllegalArgumentException.class, () -> new PkSampler(new int[] {3, 3}, 3, 2, 0));
    assertThrows(IllegalArgumentException.class, () -> new PkSampler(new int[] {3, 0, 2}, 2, 2, 0));
    assertThrows(IllegalArgumentException.class, () -> new PkSampler(new int[] {3, 3}, 2, 0, 0));
  }
}
