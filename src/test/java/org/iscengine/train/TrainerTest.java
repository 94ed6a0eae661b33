package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.augment.Augmenter;
import org.iscengine.augment.Resources;
import org.iscengine.extract.Preprocess;
import org.iscengine.image.Images;
import org.iscengine.kernels.ComputeDevice;
import org.iscengine.kernels.ContrastiveForward;
import org.iscengine.kernels.ContrastiveMemoryLoss;
import org.iscengine.kernels.MemoryBank;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelConfig;
import org.iscengine.model.ModelFile;
import org.iscengine.model.StateDicts;
import org.iscengine.progress.Progress;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer on 16 generated images and a small ResNet-18 at 64 px. */
class TrainerTest {
  private static final int SIZE = 64;
  private static final List<String> VIEWS = List.of("moderate", "moderate");
  @TempDir Path dir;
  private TrainingData data;
  private final long seed = RandomTensors.freshSeed();

  @BeforeEach
  void images() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("images"));
    for (int i = 0; i < 16; i++) {
      try (Mat m = TestImages.natural(seed + i, 90 + 7 * i, 80 + 5 * (i % 4))) {
        Images.write(folder.resolve(String.format("t%02d.png", i)), m, 95);
      }
    }
    data = TrainingData.of(folder, null, null);
  }

  private static Stage stage(int epochs, double lr, int warmup) {
    return new Stage("s", "resnet18", SIZE, 16, 3.0, VIEWS, false, 0, 8, epochs, lr, 0.9, 1e-5, warmup, "cosine",
        5.0, 64, 0.0, 1.0, false);
  }

  private Trainer trainer(Stage stage, Path run, Path init, long stopAfter) {
    return new Trainer(new Recipe("test", 7, List.of(stage)), data, Resources.local(), run, ComputeDevice.CPU,
        new Trainer.Options(2, 2, init, stopAfter), Progress.none());
  }

  private static ModelConfig config() {
    return new ModelConfig("resnet18", "fc-bn", 16, 3.0, false, SIZE, ModelConfig.IMAGENET_MEAN,
        ModelConfig.IMAGENET_STD);
  }

  /** The contrastive loss of two fixed views of every image, in inference mode, with a fresh bank. */
  private double fixedBatchLoss(DescriptorModel model) {
    Augmenter augmenter = Augmenter.preset("moderate", SIZE, Resources.local());
    int n = data.images().size();
    Tensor x = torch.empty(2 * n, 3, SIZE, SIZE);
    Tensor labels = torch.empty(new long[] {2 * n}, new org.bytedeco.pytorch.TensorOptions(
        torch.ScalarType.Long), new org.bytedeco.pytorch.MemoryFormatOptional());
    try (FloatPointer p = new FloatPointer(x.data_ptr());
        LongPointer l = new LongPointer(labels.data_ptr())) {
      for (int i = 0; i < n; i++) {
        try (Mat image = Images.read(data.images().get(i))) {
          for (int v = 0; v < 2; v++) {
            try (Mat view = augmenter.apply(image, 1000L * v + i)) {
              p.position((long) (v * n + i) * 3 * SIZE * SIZE).put(Preprocess.chw(view, SIZE,
                  Preprocess.Resize.SQUARE, false));
            }
            l.put(v * n + i, i);
          }
        }
      }
    }
    try (x;
        labels;
        Tensor input = Preprocess.normalise(x, model.config());
        Tensor d = model.describe(input);
        MemoryBank bank = new MemoryBank(2 * n, 16);
        ContrastiveForward f = new ContrastiveMemoryLoss(0, 1).forward(d, labels, bank)) {
      return f.loss();
    }
  }

  @Test
  void trainingLowersTheLossAndWritesItsRecords() throws Exception {
    Path init = dir.resolve("init.iscm");
    torch.manual_seed(seed);
    double before;
    try (DescriptorModel m = new DescriptorModel(config())) {
      ModelFile.save(init, m, "test init");
      before = fixedBatchLoss(m);
    }
    Path run = dir.resolve("run");
    Trainer.Result result = trainer(stage(10, 0.05, 2), run, init, 0).run(false);
    assertTrue(result.complete());
    assertEquals(20, result.losses().size(), "16 images, batch 8, 10 epochs");
    double after;
    try (DescriptorModel m = ModelFile.load(result.model())) {
      after = fixedBatchLoss(m);
      assertEquals(16, m.dimension());
    }
    assertTrue(after < 0.9 * before, "loss of a fixed two-view batch: before " + before + ", after " + after);
    List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertEquals(20, lines.stream().filter(l -> l.contains("\"loss\"")).count());
    assertTrue(lines.stream().anyMatch(l -> l.contains("probeMeanCosine")));
    assertTrue(Files.size(run.resolve("loss.png")) > 1000);
    assertTrue(Files.exists(run.resolve("s").resolve("model.iscm")));
    IllegalArgumentException again = assertThrows(IllegalArgumentException.class,
        () -> trainer(stage(10, 0.05, 2), run, init, 0).run(false));
    assertTrue(again.getMessage().contains("--resume"), again.getMessage());
  }

  @Test
  void aResumedRunComputesTheSameLossesAsAnUninterruptedOne() {
    Stage stage = stage(3, 0.02, 1);
    List<Double> whole = trainer(stage, dir.resolve("whole"), null, 0).run(false).losses();
    assertEquals(6, whole.size());
    Path run = dir.resolve("split");
    Trainer.Result first = trainer(stage, run, null, 3).run(false);
    assertFalse(first.complete());
    assertTrue(Files.exists(run.resolve("s").resolve("checkpoint").resolve("state.json")));
    Trainer.Result rest = trainer(stage, run, null, 0).run(true);
    assertTrue(rest.complete());
    List<Double> joined = new ArrayList<>(first.losses());
    joined.addAll(rest.losses());
    assertEquals(whole, joined, "same batches, weights, momentum and memory bank after the resume");
    assertTrue(whole.stream().distinct().count() > 1);
  }

  @Test
  void aCollapsedModelStopsTrainingWithTheLikelyCause() throws Exception {
    Path init = dir.resolve("collapsed.iscm");
    torch.manual_seed(seed);
    try (DescriptorModel m = new DescriptorModel(config())) {
      // BatchNorm with zero scale and a constant shift: every image gets the same descriptor.
      Map<String, Tensor> state = StateDicts.of(m);
      try (Scalar one = new Scalar(1.0)) {
        state.get("bn.weight").detach().zero_();
        state.get("bn.bias").detach().fill_(one);
      }
      state.values().forEach(Tensor::close);
      assertTrue(CollapseDetector.meanCosine(m, probe(m)) > 0.999);
      ModelFile.save(init, m, "collapsed");
    }
    TrainingCollapsedException e = assertThrows(TrainingCollapsedException.class,
        () -> trainer(stage(2, 1e-6, 0), dir.resolve("run"), init, 0).run(false));
    assertTrue(e.getMessage().contains("nearly identical") && e.getMessage().contains("learning rate"),
        e.getMessage());
    torch.manual_seed(seed);
    try (DescriptorModel healthy = new DescriptorModel(config())) {
      double cos = CollapseDetector.check(healthy, probe(healthy), "s", 0, 0.1);
      assertTrue(cos < CollapseDetector.THRESHOLD, "a random network is not collapsed: " + cos);
    }
  }

  private Tensor probe(DescriptorModel m) {
    Tensor x = torch.empty(8, 3, SIZE, SIZE);
    try (FloatPointer p = new FloatPointer(x.data_ptr())) {
      for (int i = 0; i < 8; i++) {
        try (Mat image = Images.read(data.images().get(i))) {
          p.position((long) i * 3 * SIZE * SIZE).put(Preprocess.chw(image, SIZE, Preprocess.Resize.SQUARE, false));
        }
      }
    }
    try (x) {
      return Preprocess.normalise(x, m.config());
    }
  }

  @Test
  void missingDataIsNamedBeforeTraining() {
    Stage pairs = new Stage("ft", "resnet18", SIZE, 16, 3.0, List.of(), true, 0, 8, 1, 0.1, 0.9, 0, 0, "cosine", 0,
        64, 0, 1.1, false);
    IllegalArgumentException noPairs = assertThrows(IllegalArgumentException.class,
        () -> trainer(pairs, dir.resolve("a"), null, 0));
    assertTrue(noPairs.getMessage().contains("--pairs"), noPairs.getMessage());
    Stage negatives = new Stage("v98", "resnet18", SIZE, 16, 3.0, VIEWS, false, 2, 8, 1, 0.1, 0.9, 0, 0, "linear",
        0, 64, 0, 1, false);
    IllegalArgumentException noRefs = assertThrows(IllegalArgumentException.class,
        () -> trainer(negatives, dir.resolve("b"), null, 0));
    assertTrue(noRefs.getMessage().contains("--references"), noRefs.getMessage());
    Stage big = new Stage("big", "resnet18", SIZE, 16, 3.0, VIEWS, false, 0, 32, 1, 0.1, 0.9, 0, 0, "cosine", 0, 64,
        0, 1, false);
    IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
        () -> trainer(big, dir.resolve("c"), null, 0));
    assertTrue(few.getMessage().contains("fewer than one batch of 32"), few.getMessage());
  }
}
