package org.iscengine.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.kernels.Metric;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A copy of an index stays as it was while the original changes or closes. */
class IndexCopyTest {
  private static final int DIM = 6;
  private final long seed = RandomTensors.freshSeed();
  private final Random random = new Random(seed);

  private Tensor rows(List<float[]> vectors) {
    Tensor t = torch.empty(vectors.size(), DIM);
    try (FloatPointer p = new FloatPointer(t.data_ptr())) {
      for (int i = 0; i < vectors.size(); i++) {
        p.position((long) i * DIM).put(vectors.get(i));
      }
    }
    return t;
  }

  private float[] vector() {
    float[] v = new float[DIM];
    for (int i = 0; i < DIM; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }

  private static VectorIndex create(String kind) {
    return kind.equals("exact") ? new ExactIndex(DIM, Metric.L2) : FaissIndex.create(DIM, kind, Metric.L2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"exact", "IDMap2,Flat"})
  void aCopyKeepsItsVectorsWhileTheOriginalChanges(String kind) {
    List<float[]> vectors = new ArrayList<>();
    long[] ids = new long[20];
    for (int i = 0; i < ids.length; i++) {
      vectors.add(vector());
      ids[i] = 1000 + 3L * i;
    }
    VectorIndex copy;
    try (VectorIndex original = create(kind); Tensor t = rows(vectors)) {
      original.add(t, ids);
      copy = original.copy();
      assertEquals(1, original.remove(new long[] {ids[4]}));
      try (Tensor more = rows(List.of(vector()))) {
        original.add(more, new long[] {7});
      }
      assertEquals(ids.length, original.size());
    }
    try (copy; Tensor queries = rows(vectors)) {
      assertEquals(ids.length, copy.size());
      Neighbors n = copy.search(queries, 1);
      for (int i = 0; i < ids.length; i++) {
        assertEquals(ids[i], n.id(i, 0), "seed " + seed);
      }
    }
  }
}
