package org.iscengine.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.kernels.Metric;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;

/** Removal from the exact index against a plain map of what it should hold. */
class ExactIndexRemoveTest {
  private static final int DIM = 7;
  private final long seed = RandomTensors.freshSeed();
  private final Random random = new Random(seed);

  private float[] vector() {
    float[] v = new float[DIM];
    for (int i = 0; i < DIM; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }

  private static Tensor rows(List<float[]> vectors) {
    Tensor t = torch.empty(vectors.size(), DIM);
    try (FloatPointer p = new FloatPointer(t.data_ptr())) {
      for (int i = 0; i < vectors.size(); i++) {
        p.position((long) i * DIM).put(vectors.get(i));
      }
    }
    return t;
  }

  private void assertHolds(ExactIndex index, Map<Long, float[]> model) {
    assertEquals(model.size(), index.size(), "seed " + seed);
    if (model.isEmpty()) {
      return;
    }
    List<Long> ids = new ArrayList<>(model.keySet());
    try (Tensor q = rows(new ArrayList<>(model.values()))) {
      Neighbors n = index.search(q, 1);
      for (int i = 0; i < ids.size(); i++) {
        assertEquals(ids.get(i), n.id(i, 0), "seed " + seed);
        assertEquals(0f, n.score(i, 0), 1e-4f);
      }
    }
  }

  @Test
  void randomAddsAndRemovesKeepExactlyTheVectorsAModelKeeps() {
    Map<Long, float[]> model = new LinkedHashMap<>();
    long nextId = random.nextInt(1000);
    try (ExactIndex index = new ExactIndex(DIM, Metric.L2)) {
      for (int step = 0; step < 60; step++) {
        if (model.isEmpty() || random.nextInt(3) > 0) {
          int n = 1 + random.nextInt(40);
          List<float[]> added = new ArrayList<>();
          long[] ids = new long[n];
          for (int i = 0; i < n; i++) {
            ids[i] = nextId;
            nextId += 1 + random.nextInt(5);
            added.add(vector());
            model.put(ids[i], added.get(i));
          }
          try (Tensor t = rows(added)) {
            index.add(t, ids);
          }
        } else {
          List<Long> present = new ArrayList<>(model.keySet());
          int n = 1 + random.nextInt(Math.min(10, present.size()));
          long[] gone = new long[n + 1];
          long expected = 0;
          for (int i = 0; i < n; i++) {
            gone[i] = present.get(random.nextInt(present.size()));
            expected += model.remove(gone[i]) != null ? 1 : 0;
          }
          gone[n] = -5 - random.nextInt(100);  // absent: ignored
          assertEquals(expected, index.remove(gone), "seed " + seed);
        }
        assertHolds(index, model);
      }
    }
  }

  @Test
  void removingFromAnIndexNumberedByRowKeepsTheOtherNumbers() {
    Map<Long, float[]> model = new LinkedHashMap<>();
    List<float[]> added = new ArrayList<>();
    for (long i = 0; i < 50; i++) {
      added.add(vector());
      model.put(i, added.get((int) i));
    }
    try (ExactIndex index = new ExactIndex(DIM, Metric.L2); Tensor t = rows(added)) {
      index.add(t);
      assertEquals(2, index.remove(new long[] {0, 17}));
      model.remove(0L);
      model.remove(17L);
      assertHolds(index, model);
    }
  }

  @Test
  void anIdAddedTwiceIsRemovedEverywhere() {
    Map<Long, float[]> model = new LinkedHashMap<>();
    List<float[]> first = new ArrayList<>();
    long[] ids = new long[10];
    for (int i = 0; i < 10; i++) {
      ids[i] = 100 + i;
      first.add(vector());
      model.put(ids[i], first.get(i));
    }
    try (ExactIndex index = new ExactIndex(DIM, Metric.L2); Tensor t = rows(first)) {
      index.add(t, ids);
      assertEquals(1, index.remove(new long[] {100}));  // builds the id map
      model.remove(100L);
      try (Tensor again = rows(List.of(vector(), vector()))) {
        index.add(again, new long[] {103, 103});
      }
      assertEquals(3, index.remove(new long[] {103}));
      model.remove(103L);
      assertHolds(index, model);
      assertEquals(1, index.remove(new long[] {107, 107}));
      model.remove(107L);
      assertHolds(index, model);
    }
  }
}
