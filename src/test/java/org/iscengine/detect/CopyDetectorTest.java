package org.iscengine.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.describe.Preprocess;
import org.iscengine.descriptor.Pca;
import org.iscengine.descriptor.ScoreNormalization;
import org.iscengine.image.ImageDecodeException;
import org.iscengine.image.ImageFormat;
import org.iscengine.image.Images;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelConfig;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The copy detector on a small random ResNet-18 (64 px, 24-d) and generated images. */
class CopyDetectorTest {
  private static final int SIZE = 64;
  @TempDir Path dir;
  private final long seed = RandomTensors.freshSeed();

  static DescriptorModel model(long seed) {
    torch.manual_seed(seed);
    return new DescriptorModel(new ModelConfig("resnet18", "fc-bn", 24, 3.0, false, SIZE, ModelConfig.IMAGENET_MEAN,
        ModelConfig.IMAGENET_STD));
  }

  static byte[] jpeg(long seed, int width, int height) {
    try (Mat m = TestImages.natural(seed, width, height)) {
      return Images.encode(m, ImageFormat.JPEG, 92);
    }
  }

  private CopyDetector.Builder builder() {
    return CopyDetector.builder(model(seed)).store(dir.resolve("store"),
        new org.iscengine.store.ReferenceStore.Options("IDMap2,Flat", org.iscengine.kernels.Metric.INNER_PRODUCT, 0));
  }

  @Test
  void describeGivesTheNetworksDescriptor() {
    byte[] image = jpeg(seed, 97, 71);
    float[] expected;
    try (DescriptorModel m = model(seed);
        Mat decoded = Images.decode(image, "test", 4096);
        Tensor x = torch.empty(1, 3, SIZE, SIZE)) {
      try (FloatPointer p = new FloatPointer(x.data_ptr())) {
        p.put(Preprocess.chw(decoded, SIZE, Preprocess.Resize.SQUARE, false));
      }
      try (Tensor in = Preprocess.normalise(x, m.config());
          Tensor d = m.describe(in);
          FloatPointer p = new FloatPointer(d.data_ptr())) {
        expected = new float[24];
        p.get(expected);
      }
    }
    try (CopyDetector detector = builder().build()) {
      assertEquals(1, org.iscengine.runtime.ComputeThreads.blas(), "OpenBLAS left one thread (no spinning pool)");
      assertEquals(org.iscengine.runtime.ComputeThreads.torchThreads(), org.iscengine.runtime.ComputeThreads.torch(),
          "LibTorch set to the cores");
      float[] got = detector.describe(image);
      assertEquals(24, got.length);
      for (int i = 0; i < 24; i++) {
        assertEquals(expected[i], got[i], 1e-5f, "component " + i);
      }
    }
  }

  @Test
  void concurrentRequestsAreBatchedAndGetTheirOwnResults() throws Exception {
    int images = 24;
    List<byte[]> data = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      data.add(jpeg(seed + i, 80 + i, 60 + 2 * i));
    }
    ConcurrentLinkedQueue<Integer> batches = new ConcurrentLinkedQueue<>();
    List<float[]> alone = new ArrayList<>();
    try (CopyDetector detector = builder().batching(8, Duration.ofMillis(30), 64).onBatch(batches::add).build()) {
      for (byte[] d : data) {
        alone.add(detector.describe(d));  // one at a time: batches of 1
      }
      batches.clear();
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<float[]>> futures = new ArrayList<>();
        for (byte[] d : data) {
          futures.add(pool.submit(() -> detector.describe(d)));
        }
        for (int i = 0; i < images; i++) {
          float[] got = futures.get(i).get();
          for (int j = 0; j < got.length; j++) {
            assertEquals(alone.get(i)[j], got[j], 2e-5f, "image " + i + " got another image's descriptor?");
          }
        }
      } finally {
        pool.shutdown();
      }
    }
    assertEquals(images, batches.stream().mapToInt(Integer::intValue).sum());
    assertTrue(batches.stream().anyMatch(n -> n > 1), "8 threads and a 30 ms budget give batches: " + batches);
    assertTrue(batches.stream().allMatch(n -> n <= 8), "no batch above maxBatch: " + batches);
  }

  @Test
  void referencesAreMatchedRemovedAndKeptAcrossRestarts() {
    byte[] a = jpeg(seed, 120, 90);
    byte[] b = jpeg(seed + 1, 90, 120);
    byte[] c = jpeg(seed + 2, 100, 100);
    try (CopyDetector detector = builder().threshold(0.99999).build()) {  // only an identical image reaches it
      detector.addReference("a", a);
      detector.addReferences(List.of("b", "c"), List.of(b, c));
      assertEquals(3, detector.size());
      CopyDetector.Matches m = detector.match(a, 3);
      assertEquals("a", m.matches().get(0).id());
      assertEquals(1f, m.matches().get(0).score(), 1e-4f);
      assertTrue(m.isCopy());
      assertTrue(m.matches().get(1).score() < m.matches().get(0).score());
      assertTrue(detector.remove("a"));
      assertFalse(detector.remove("a"));
      CopyDetector.Matches after = detector.match(a, 3);
      assertEquals(2, after.matches().size());
      assertTrue(after.matches().stream().noneMatch(x -> x.id().equals("a")));
      assertFalse(after.isCopy(), "a is gone; b and c are other images");
      detector.addReference("d", detector.describe(c));  // a descriptor made earlier
    }
    try (CopyDetector detector = builder().build()) {
      assertEquals(3, detector.size());
      List<CopyDetector.Matches> ms = detector.match(List.of(b, c), 1, 0.5);
      assertEquals("b", ms.get(0).matches().get(0).id());
      assertTrue(List.of("c", "d").contains(ms.get(1).matches().get(0).id()));
    }
  }

  @Test
  void aLongDescriptorIsScaledToUnitLengthAndCannotOutscoreACopy() {
    byte[] a = jpeg(seed, 120, 90);
    byte[] b = jpeg(seed + 1, 90, 120);
    try (CopyDetector detector = builder().build()) {
      detector.addReference("a", a);
      float[] loud = detector.describe(b);
      for (int i = 0; i < loud.length; i++) {
        loud[i] *= 1000;
      }
      detector.addReference("loud", loud);
      CopyDetector.Matches m = detector.match(a, 2);
      assertEquals("a", m.matches().get(0).id(), "the copy comes first");
      assertTrue(m.matches().get(1).score() <= 1.0001f, "scores stay cosines: " + m.matches().get(1).score());
      assertThrows(IllegalArgumentException.class, () -> detector.addReference("zero", new float[loud.length]));
      float[] nan = loud.clone();
      nan[3] = Float.NaN;
      assertThrows(IllegalArgumentException.class, () -> detector.addReference("nan", nan));
      assertEquals(2, detector.size());
    }
  }

  @Test
  void badInputsGetClearErrorsAndTheDetectorKeepsWorking() {
    byte[] a = jpeg(seed, 64, 64);
    try (CopyDetector detector = builder().build()) {
      detector.addReference("a", a);
      ImageDecodeException notImage = assertThrows(ImageDecodeException.class,
          () -> detector.match("hello, world".getBytes(), 5));
      assertTrue(notImage.getMessage().contains("not an image"), notImage.getMessage());
      byte[] truncated = java.util.Arrays.copyOf(a, a.length / 2);
      assertThrows(ImageDecodeException.class, () -> detector.addReference("t", truncated));
      IllegalArgumentException shortDescriptor = assertThrows(IllegalArgumentException.class,
          () -> detector.addReference("s", new float[5]));
      assertTrue(shortDescriptor.getMessage().contains("5 values"), shortDescriptor.getMessage());
      assertThrows(IllegalArgumentException.class, () -> detector.addReference("", a));
      assertEquals(1, detector.size());
      assertEquals("a", detector.match(a, 1).matches().get(0).id());
    }
    IllegalArgumentException noStore = assertThrows(IllegalArgumentException.class,
        () -> CopyDetector.builder(model(seed)).build());
    assertTrue(noStore.getMessage().contains("store"));
  }

  @Test
  void pcaWhiteningAndScoreNormalizationRunOnEveryRequest() {
    int n = 40;
    List<byte[]> training = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      training.add(jpeg(seed + 100 + i, 70 + i, 90 - i));
    }
    Tensor descriptors;
    try (CopyDetector plain = CopyDetector.builder(model(seed)).store(dir.resolve("plain"),
        org.iscengine.store.ReferenceStore.Options.defaults()).build()) {
      List<float[]> d = plain.describe(training);
      descriptors = torch.empty(n, 24);
      try (FloatPointer p = new FloatPointer(descriptors.data_ptr())) {
        for (int i = 0; i < n; i++) {
          p.position(24L * i).put(d.get(i));
        }
      }
    }
    Pca pca = Pca.whitening(descriptors, 16);
    Tensor negatives;
    try (Tensor projected = pca.apply(descriptors)) {
      negatives = org.iscengine.kernels.Tensors.l2Normalize(projected);
    }
    byte[] a = jpeg(seed, 110, 80);
    byte[] b = jpeg(seed + 1, 80, 110);
    try (CopyDetector detector = builder().pca(pca).scoreNormalization(new ScoreNormalization(1.0, 0, 4), negatives)
        .build()) {
      assertEquals(16, detector.dimension());
      float[] d = detector.describe(a);
      double norm = 0;
      for (float v : d) {
        norm += v * v;
      }
      assertEquals(1.0, norm, 1e-4, "post-processed descriptors are L2-normalised");
      detector.addReferences(List.of("a", "b"), List.of(a, b));
      CopyDetector.Matches m = detector.match(a, 2, 0.0);
      assertEquals("a", m.matches().get(0).id());
      assertTrue(m.matches().get(0).score() < 1f - 1e-3f, "score normalization lowers the raw similarity of 1");
    }
    descriptors.close();
  }
}
