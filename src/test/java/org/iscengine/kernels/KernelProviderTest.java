package org.iscengine.kernels;

import static org.iscengine.testing.TensorAssert.assertMaxRelativeError;
import static org.iscengine.testing.TensorAssert.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.runtime.CpuKernels;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every kernel through both paths the provider can choose, each against float64. */
class KernelProviderTest {
  @BeforeEach
  void nativeLibraryLoaded() {
    Assumptions.assumeTrue(CpuKernels.available(), "libisc_cpu is not loaded");
  }

  @AfterEach
  void clearSwitch() {
    System.clearProperty(KernelProvider.PROPERTY);
  }

  private static void path(String path) {
    System.setProperty(KernelProvider.PROPERTY, path);
  }

  @ParameterizedTest
  @ValueSource(strings = {"native", "reference"})
  void gemFollowsTheSwitchAndMatchesFloat64(String path) {
    path(path);
    long seed = RandomTensors.freshSeed();
    try (Tensor x = RandomTensors.uniform(seed, -0.5, 3.0, 3, 5, 7, 9);
        Tensor x64 = x.to(ScalarType.Double)) {
      GemKernel kernel = Gem.kernelFor(x);
      assertEquals(path.equals("native") ? Gem.nativeKernel().name() : Gem.reference().name(), kernel.name());
      try (Tensor y = Gem.forward(x, 3.0);
          Tensor want = Gem.reference().forward(x64, 3.0, Gem.DEFAULT_EPS)) {
        assertMaxRelativeError(y, want, 1e-5, path + " GeM, seed " + seed);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"native", "reference"})
  void knnFollowsTheSwitchAndMatchesFloat64(String path) {
    path(path);
    long seed = RandomTensors.freshSeed();
    try (Tensor q = RandomTensors.uniform(seed, -1, 1, 5, 33);
        Tensor r = RandomTensors.uniform(seed + 1, -1, 1, 101, 33);
        Tensor q64 = q.to(ScalarType.Double);
        Tensor r64 = r.to(ScalarType.Double);
        Tensor scores64 = Knn.scoreMatrix(q64, r64, Metric.INNER_PRODUCT)) {
      assertEquals(path.equals("native"), Knn.useNative(q, KnnPrecision.FP32));
      try (KnnResult got = Knn.search(q, r, 7, Metric.INNER_PRODUCT);
          KnnResult exact = Knn.reference(q64, r64, 7, Metric.INNER_PRODUCT)) {
        double[] all = values(scores64);
        float[] scores = got.scoreArray();
        long[] ids = got.idArray();
        long[] exactIds = exact.idArray();
        for (int i = 0; i < 5 * 7; i++) {
          double want = all[(i / 7) * 101 + (int) ids[i]];
          assertEquals(want, scores[i], 1e-5 * (1 + Math.abs(want)), path + " kNN, seed " + seed);
        }
        for (int i = 0; i < 5; i++) {
          assertEquals(exactIds[i * 7], ids[i * 7], path + " kNN nearest of query " + i + ", seed " + seed);
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"native", "reference"})
  void contrastiveLossFollowsTheSwitchAndMatchesFloat64(String path) {
    path(path);
    long seed = RandomTensors.freshSeed();
    Random random = new Random(seed);
    long[] labelValues = new long[11];
    for (int i = 0; i < labelValues.length; i++) {
      labelValues[i] = random.nextInt(4);
    }
    ContrastiveMemoryLoss loss = new ContrastiveMemoryLoss(0.1, 1.1);
    try (MemoryBank ours = new MemoryBank(29, 13);
        MemoryBank theirs = new MemoryBank(29, 13);
        Tensor x = RandomTensors.uniform(seed, -1, 1, 11, 13);
        Tensor x64 = x.to(ScalarType.Double);
        Tensor labels = torch.tensor(labelValues);
        ContrastiveForward got = loss.forward(x, labels, ours);
        ContrastiveForward want = ContrastiveMemoryLoss.reference(0.1, 1.1).forward(x64, labels, theirs)) {
      assertEquals(path.equals("native"), KernelProvider.runsNative(KernelProvider.Kernel.CONTRASTIVE, x));
      double w = want.stats().loss();
      assertEquals(w, got.stats().loss(), 1e-5 * (1 + Math.abs(w)), path + " loss, seed " + seed);
      assertArrayEquals(values(theirs.embeddings()), values(ours.embeddings()), 1e-6, path + " bank, seed " + seed);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"native", "reference"})
  void eachChoiceSaysWhy(String path) {
    path(path);
    try (Tensor x = RandomTensors.uniform(RandomTensors.freshSeed(), 0, 1, 2, 3, 4, 5);
        Tensor half = x.to(ScalarType.Half)) {
      KernelProvider.Choice choice = KernelProvider.choose(KernelProvider.Kernel.GEM, x, null);
      assertEquals(path.equals("native"), choice.runsNative(), choice.reason());
      assertTrue(choice.reason().contains(path.equals("native") ? "native" : KernelProvider.PROPERTY), choice.reason());
      KernelProvider.Choice cpuHalf = KernelProvider.choose(KernelProvider.Kernel.GEM, half, null);
      assertFalse(cpuHalf.runsNative());
      KernelProvider.Choice knnBf16 = KernelProvider.choose(KernelProvider.Kernel.KNN, x, "BF16");
      assertFalse(knnBf16.runsNative(), "the CPU kNN kernel has fp32 only");
    }
  }

  @Test
  void aMisspelledSwitchIsRefused() {
    path("refrence");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, KernelProvider::referenceForced);
    assertTrue(e.getMessage().contains("native or reference"), e.getMessage());
  }
}
