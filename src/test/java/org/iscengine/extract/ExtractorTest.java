package org.iscengine.extract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.describe.ImageParts;
import org.iscengine.describe.Preprocess;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.image.Images;
import org.iscengine.kernels.Tensors;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelConfig;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The extraction pipeline on a small ResNet-18 and a folder of generated images, one of them broken. */
class ExtractorTest {
  private static final int SIZE = 64;
  @TempDir Path dir;
  private Path images;
  private final long seed = RandomTensors.freshSeed();

  /** 7 readable images of odd sizes (PNG and JPEG, one in a sub-folder) and one corrupt file. */
  @BeforeEach
  void writeImages() throws Exception {
    images = Files.createDirectories(dir.resolve("images"));
    Files.createDirectories(images.resolve("sub"));
    for (int i = 0; i < 7; i++) {
      String name = (i == 3 ? "sub/" : "") + String.format("img%02d.%s", i, i % 2 == 0 ? "png" : "jpg");
      try (Mat m = TestImages.natural(seed + i, 37 + 13 * i, 91 - 7 * i)) {
        Images.write(images.resolve(name), m, 95);
      }
    }
    Files.write(images.resolve("broken.jpg"), new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2, 3, 4, 5});
  }

  private static DescriptorModel model() {
    torch.manual_seed(3);
    return new DescriptorModel(new ModelConfig("resnet18", "fc-bn", 24, 3.0, false, SIZE,
        ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD));
  }

  private static Extractor extractor(DescriptorModel model, ExtractOptions options, Progress.Factory progress) {
    return new Extractor(model, "resnet18", options, ComputeDevice.CPU, ScalarType.Float, progress);
  }

  private static ExtractOptions options(int batch, int workers, int shard, boolean flip, double... scales) {
    return new ExtractOptions(batch, workers, Preprocess.Resize.SQUARE, scales, flip, shard);
  }

  @Test
  void describesEveryReadableImageDeterministicallyAndListsTheBrokenOne() {
    Path a = dir.resolve("a.h5");
    Path b = dir.resolve("b.h5");
    try (DescriptorModel m = model()) {
      Extractor.Result first = extractor(m, options(3, 2, 100, false, 1), Progress.none()).run(
          ImageList.of(images), a);
      assertEquals(7, first.described());
      assertEquals(1, first.failures().size());
      assertEquals("broken", first.failures().get(0).id());
      assertTrue(first.failures().get(0).reason().contains("broken.jpg"), first.failures().get(0).reason());
      // Other batch size and thread count: the same descriptors, in the same order.
      extractor(m, options(5, 1, 100, false, 1), Progress.none()).run(ImageList.of(images), b);
    }
    try (Descriptors da = DescriptorFiles.read(a);
        Descriptors db = DescriptorFiles.read(b)) {
      assertEquals(List.of("img00", "img01", "img02", "img04", "img05", "img06", "sub/img03"), da.ids());
      assertEquals(da.ids(), db.ids());
      assertArrayEquals(new long[] {7, 24}, da.vectors().shape());
      TensorAssert.assertNormRelativeError(db.vectors(), da.vectors(), 1e-5, "batching must not change descriptors");
      double[] v = TensorAssert.values(da.vectors());
      for (int i = 0; i < 7; i++) {
        double n = 0;
        for (int j = 0; j < 24; j++) {
          n += v[i * 24 + j] * v[i * 24 + j];
        }
        assertEquals(1.0, Math.sqrt(n), 1e-5, "unit norm, row " + i);
      }
    }
    assertFalse(Files.exists(dir.resolve("a.h5.parts")), "parts are removed once merged");
  }

  @Test
  void partsAreDescribedUnderTheirOwnIdsAndTheWholeImageFirst() {
    Path whole = dir.resolve("whole.h5");
    Path parts = dir.resolve("parts.h5");
    try (DescriptorModel m = model()) {
      extractor(m, options(4, 2, 3, false, 1), Progress.none()).run(ImageList.of(images), whole);
      extractor(m, new ExtractOptions(4, 2, Preprocess.Resize.SQUARE, new double[] {1}, false, 3,
          ImageParts.Scheme.REFERENCE), Progress.none()).run(ImageList.of(images), parts);
    }
    try (Descriptors w = DescriptorFiles.read(whole);
        Descriptors p = DescriptorFiles.read(parts)) {
      assertEquals(7 * 19, p.size());
      for (int i = 0; i < w.size(); i++) {
        assertEquals(ImageParts.partId(w.ids().get(i), 0), p.ids().get(19 * i));
        assertEquals(ImageParts.partId(w.ids().get(i), 18), p.ids().get(19 * i + 18));
        try (Tensor a = w.vectors().narrow(0, i, 1);
            Tensor b = p.vectors().narrow(0, 19L * i, 1);
            Tensor tile = p.vectors().narrow(0, 19L * i + 1, 1);
            Tensor difference = tile.sub(a)) {
          TensorAssert.assertNormRelativeError(b, a, 1e-5, "part 0 is the whole image");
          assertTrue(java.util.Arrays.stream(TensorAssert.values(difference)).anyMatch(x -> Math.abs(x) > 1e-3),
              "a tile is described apart from the whole");
        }
      }
    }
  }

  @Test
  void multiScaleAndFlipSumTheVariantsThenNormalise() throws Exception {
    Path out = dir.resolve("tta.h5");
    Path one = images.resolve("img01.jpg");
    Path list = dir.resolve("list.txt");
    Files.writeString(list, "# one image\nimages/img01.jpg\n");
    double[] scales = {1.0, 0.75};
    try (DescriptorModel m = model()) {
      extractor(m, options(4, 2, 100, true, scales), Progress.none()).run(ImageList.of(list), out);
      Tensor sum = null;
      try (Mat image = Images.read(one)) {
        for (boolean flip : new boolean[] {false, true}) {
          for (double s : scales) {
            int size = (int) Math.round(SIZE * s);
            try (Tensor x = normalised(Preprocess.chw(image, size, Preprocess.Resize.SQUARE, flip), size);
                Tensor d = m.describe(x)) {
              Tensor next = sum == null ? d.clone() : sum.add(d);
              if (sum != null) {
                sum.close();
              }
              sum = next;
            }
          }
        }
      }
      try (Tensor expected = Tensors.l2Normalize(sum);
          Descriptors got = DescriptorFiles.read(out)) {
        assertEquals(List.of("images/img01"), got.ids());
        TensorAssert.assertNormRelativeError(got.vectors(), expected, 1e-5, "sum over 2 scales x flip, then L2");
      } finally {
        sum.close();
      }
    }
  }

  private static Tensor normalised(float[] chw, int size) {
    Tensor t = torch.empty(1, 3, size, size);
    try (FloatPointer p = new FloatPointer(t.data_ptr())) {
      p.put(chw);
    }
    try (t) {
      return Preprocess.normalise(t, new ModelConfig("resnet18", "none", 0, 3.0, false, size,
          ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD));
    }
  }

  @Test
  void anInterruptedRunResumesToTheSameResult() {
    Path whole = dir.resolve("whole.h5");
    Path resumed = dir.resolve("resumed.h5");
    ExtractOptions options = options(2, 2, 3, false, 1);  // parts of 3 images: 3 parts
    try (DescriptorModel m = model()) {
      extractor(m, options, Progress.none()).run(ImageList.of(images), whole);
      AtomicInteger steps = new AtomicInteger();
      Progress.Factory dying = (task, total) -> new Progress() {
        @Override
        public void step() {
          if (steps.incrementAndGet() == 5) {  // in the second part
            throw new IllegalStateException("simulated interruption");
          }
        }

        @Override
        public void close() {}
      };
      assertThrows(IllegalStateException.class,
          () -> extractor(m, options, dying).run(ImageList.of(images), resumed));
      Path parts = dir.resolve("resumed.h5.parts");
      assertTrue(Files.exists(parts.resolve("part-00000.h5")), "the finished part is kept");
      assertFalse(Files.exists(parts.resolve("part-00001.h5")), "the interrupted part is not");
      assertFalse(Files.exists(resumed));

      // Other settings must not pick up these parts.
      IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
          () -> extractor(m, options(2, 2, 3, true, 1), Progress.none()).run(ImageList.of(images), resumed));
      assertTrue(other.getMessage().contains("another extraction"), other.getMessage());

      List<Long> counted = new ArrayList<>();
      Extractor.Result result = extractor(m, options, (task, total) -> {
        counted.add(total);
        return Progress.none().start(task, total);
      }).run(ImageList.of(images), resumed);
      assertEquals(7, result.described());
      assertEquals(1, result.failures().size(), "failures of the kept part are still reported");
      assertEquals(List.of(8L), counted);
    }
    try (Descriptors a = DescriptorFiles.read(whole);
        Descriptors b = DescriptorFiles.read(resumed)) {
      assertEquals(a.ids(), b.ids());
      // Batches form in decoding order, and a convolution's rounding depends on the batch.
      TensorAssert.assertNormRelativeError(b.vectors(), a.vectors(), 1e-5, "resumed vs uninterrupted");
    }
  }

  @Test
  void badListsAndOptionsSayWhatIsWrong() throws Exception {
    IllegalArgumentException noImages = assertThrows(IllegalArgumentException.class,
        () -> ImageList.of(Files.createDirectories(dir.resolve("empty"))));
    assertTrue(noImages.getMessage().contains("no images"), noImages.getMessage());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> ImageList.of(dir.resolve("nope.txt")));
    assertTrue(missing.getMessage().contains("nope.txt"), missing.getMessage());
    Path clash = dir.resolve("clash.txt");
    Files.writeString(clash, "images/img00.png\nimages/img00.jpg\n");
    Files.copy(images.resolve("img01.jpg"), images.resolve("img00.jpg"));
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> ImageList.of(clash));
    assertTrue(twice.getMessage().contains("'images/img00'"), twice.getMessage());
    assertThrows(IllegalArgumentException.class, () -> options(0, 1, 1, false, 1));
    assertThrows(IllegalArgumentException.class, () -> options(1, 1, 1, false, 1, -2));
    try (DescriptorModel m = model()) {
      IllegalArgumentException half = assertThrows(IllegalArgumentException.class,
          () -> new Extractor(m, "x", ExtractOptions.defaults(), ComputeDevice.CPU, ScalarType.Half,
              Progress.none()));
      assertTrue(half.getMessage().contains("GPU"), half.getMessage());
    }
  }
}
