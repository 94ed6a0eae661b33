package org.iscengine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.testing.Gpu;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The CUDA kNN through the Java API: equal to the CPU kernel on integer data, every precision. */
@Tag("gpu")
class KnnCudaTest {
  @BeforeEach
  void needsCuda() {
    Gpu.require();
  }

  @ParameterizedTest(name = "{0} {1} nq={2} nr={3} d={4} k={5}")
  @CsvSource({
    "INNER_PRODUCT, FP32, 7, 33, 5, 3", "L2, FP32, 130, 5000, 64, 100", "INNER_PRODUCT, FP32, 65, 9000, 256, 1024",
    "L2, TF32, 100, 1000, 17, 10", "INNER_PRODUCT, BF16, 300, 70000, 31, 7", "L2, BF16, 5, 100, 3, 100"
  })
  void equalsTheCpuKernelOnIntegerData(Metric metric, KnnPrecision precision, long nq, long nr, long d, int k) {
    long seed = RandomTensors.freshSeed();
    try (Tensor q = RandomTensors.integers(seed, -2, 2, nq, d);
        Tensor r = RandomTensors.integers(seed + 1, -2, 2, nr, d);
        Tensor qc = q.cuda();
        Tensor rc = r.cuda();
        KnnResult cpu = Knn.search(q, r, k, metric);
        KnnResult gpu = Knn.search(qc, rc, k, metric, precision)) {
      assertTrue(gpu.scores().is_cuda());
      assertArrayEquals(cpu.idArray(), gpu.idArray(), "seed " + seed);
      assertArrayEquals(cpu.scoreArray(), gpu.scoreArray(), 0f, "seed " + seed);
    }
  }

  @ParameterizedTest
  @CsvSource({"TF32", "BF16"})
  void reducedPrecisionRecallsTheExactNeighbours(KnnPrecision precision) {
    long seed = RandomTensors.freshSeed();
    int k = 100;
    try (Tensor q = RandomTensors.uniform(seed, -1, 1, 200, 256);
        Tensor r = RandomTensors.uniform(seed + 1, -1, 1, 50000, 256);
        Tensor qc = q.cuda();
        Tensor rc = r.cuda();
        KnnResult exact = Knn.search(qc, rc, k, Metric.INNER_PRODUCT, KnnPrecision.FP32);
        KnnResult fast = Knn.search(qc, rc, k, Metric.INNER_PRODUCT, precision)) {
      long[] want = exact.idArray();
      long[] got = fast.idArray();
      int hits = 0;
      for (int i = 0; i < 200; i++) {
        Set<Long> truth = new HashSet<>();
        for (int j = 0; j < k; j++) {
          truth.add(want[i * k + j]);
        }
        for (int j = 0; j < k; j++) {
          hits += truth.contains(got[i * k + j]) ? 1 : 0;
        }
      }
      double recall = hits / (200.0 * k);
      assertTrue(recall >= 0.999, "recall " + recall + ", seed " + seed);
    }
  }
}
