package org.iscengine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.Metric;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.io.TempDir;

/** What the reference store's tests share: a folder, random unit vectors of a fresh seed, and the holding check. */
abstract class ReferenceStoreTesting {
  static final int DIM = 19;
  @TempDir Path dir;
  final long seed = RandomTensors.freshSeed();
  final Random random = new Random(seed);

  float[] vector() {
    return RandomTensors.unitVector(random, DIM);
  }

  static Tensor rows(List<float[]> vectors) {
    return HostTensors.stack(vectors, DIM);
  }

  static ReferenceStore.Options options(String index, long snapshotEvery) {
    return new ReferenceStore.Options(index, Metric.INNER_PRODUCT, snapshotEvery);
  }

  /** Exactly the expected references, each its own best match with the score of a unit vector with itself. */
  void assertHolds(ReferenceStore store, Map<String, float[]> expected) {
    assertEquals(expected.size(), store.size(), "seed " + seed);
    List<String> ids = new ArrayList<>(expected.keySet());
    List<List<ReferenceStore.Hit>> hits;
    try (Tensor q = rows(new ArrayList<>(expected.values()))) {
      hits = store.search(q, 1);
    }
    for (int i = 0; i < ids.size(); i++) {
      assertEquals(ids.get(i), hits.get(i).get(0).id(), "seed " + seed);
      assertEquals(1f, hits.get(i).get(0).score(), 1e-4f, "seed " + seed);
    }
  }
}
