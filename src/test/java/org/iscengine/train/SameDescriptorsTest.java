package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.describe.Describer;
import org.iscengine.describe.Preprocess;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.detect.CopyDetector;
import org.iscengine.extract.ExtractOptions;
import org.iscengine.extract.Extractor;
import org.iscengine.extract.ImageList;
import org.iscengine.image.Images;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.Metric;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelConfig;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.store.ReferenceStore;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batch extraction, the copy detector and the training probe describe an image alike: one pipeline. */
class SameDescriptorsTest {
  private static final int SIZE = 64;
  @TempDir Path dir;
  private final long seed = RandomTensors.freshSeed();

  private static DescriptorModel model() {
    torch.manual_seed(9);
    return new DescriptorModel(new ModelConfig("resnet18", "fc-bn", 24, 3.0, false, SIZE, ModelConfig.IMAGENET_MEAN,
        ModelConfig.IMAGENET_STD));
  }

  private Path onePng() throws Exception {
    Path png = Files.createDirectories(dir.resolve("images")).resolve("one.png");
    try (Mat m = TestImages.natural(seed, 93, 67)) {
      Images.write(png, m, 95);
    }
    return png;
  }

  private CopyDetector.Builder detector() {
    return CopyDetector.builder(model()).store(dir.resolve("store"), new ReferenceStore.Options("IDMap2,Flat",
        Metric.INNER_PRODUCT, 0));
  }

  @Test
  void extractorDetectorAndTrainingProbeGiveTheSameDescriptor() throws Exception {
    Path png = onePng();
    Path images = png.getParent();
    Path out = dir.resolve("one.h5");
    try (DescriptorModel m = model()) {
      new Extractor(m, "resnet18", new ExtractOptions(4, 1, Preprocess.Resize.SQUARE, new double[] {1}, false, 100),
          ComputeDevice.CPU, ScalarType.Float, Progress.none()).run(ImageList.of(images), out);
    }
    float[] detected;
    try (CopyDetector detector = detector().build()) {
      detected = detector.describe(Files.readAllBytes(png));
    }
    float[] probed;
    try (DescriptorModel m = model();
        Tensor probe = Trainer.probe(List.of(png), new Describer(m, ComputeDevice.CPU,
            Describer.Settings.single(Preprocess.Resize.SQUARE), null));
        Tensor d = m.describe(probe)) {
      probed = HostTensors.toArray(d);
    }
    try (Descriptors extracted = DescriptorFiles.read(out);
        Tensor byDetector = HostTensors.tensor(detected, 1, 24);
        Tensor byProbe = HostTensors.tensor(probed, 1, 24)) {
      assertEquals(List.of("one"), extracted.ids());
      // The detector's network convolves channels-last: the same descriptor to float32 rounding.
      TensorAssert.assertNormRelativeError(byDetector, extracted.vectors(), 1e-5, "detector vs extractor (seed "
          + seed + ")");
      TensorAssert.assertNormRelativeError(byProbe, extracted.vectors(), 1e-5, "training probe vs extractor (seed "
          + seed + ")");
    }
  }

  @Test
  void theDetectorTakesTheExtractorsTestTimeAugmentation() throws Exception {
    Path png = onePng();
    Path out = dir.resolve("tta.h5");
    ExtractOptions options = new ExtractOptions(2, 1, Preprocess.Resize.CENTER_CROP, new double[] {1, 0.75}, true,
        100);
    try (DescriptorModel m = model()) {
      new Extractor(m, "resnet18", options, ComputeDevice.CPU, ScalarType.Float, Progress.none()).run(
          ImageList.of(png.getParent()), out);
    }
    float[] detected;
    try (CopyDetector detector = detector().describing(options.describing(ScalarType.Float)).build()) {
      detected = detector.describe(Files.readAllBytes(png));
    }
    try (Descriptors extracted = DescriptorFiles.read(out);
        Tensor byDetector = HostTensors.tensor(detected, 1, 24)) {
      TensorAssert.assertNormRelativeError(byDetector, extracted.vectors(), 1e-5, "2 scales x flip, crop (seed "
          + seed + ")");
    }
  }
}
