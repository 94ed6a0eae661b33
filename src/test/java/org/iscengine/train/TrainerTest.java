package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.augment.Augmenter;
import org.iscengine.augment.Resources;
import org.iscengine.describe.Preprocess;
import org.iscengine.image.Images;
import org.iscengine.kernels.ContrastiveForward;
import org.iscengine.kernels.ContrastiveMemoryLoss;
import org.iscengine.kernels.Gem;
import org.iscengine.kernels.MemoryBank;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelConfig;
import org.iscengine.model.ModelFile;
import org.iscengine.model.StateDicts;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
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
    return stage(epochs, lr, warmup, 0.0);
  }

  private static Stage stage(int epochs, double lr, int warmup, double entropyWeight) {
    return base("s").epochs(epochs).lr(lr).warmupSteps(warmup).entropyWeight(entropyWeight).build();
  }

  /** The stage these tests train, bar what each one changes. */
  private static Stage.Builder base(String name) {
    return Stage.builder().name(name).architecture("resnet18").inputSize(SIZE).dimension(16).gemP(3.0).views(VIEWS)
        .batchSize(8).epochs(1).lr(0.1).momentum(0.9).weightDecay(1e-5).gradClip(5.0).memorySize(64).negMargin(1.0);
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

  /** Gradients of every parameter, copied out (parameters in registration order). */
  private static List<double[]> gradients(DescriptorModel model) {
    List<double[]> out = new ArrayList<>();
    try (TensorVector params = model.parameters()) {
      for (long i = 0; i < params.size(); i++) {
        Tensor g = params.get(i).grad();
        out.add(g.defined() ? TensorAssert.values(g) : null);
      }
    }
    return out;
  }

  @Test
  void theGemKernelChainGivesTheGradientsOfPlainAutograd() {
    torch.manual_seed(seed);
    double p = 3.0;
    try (DescriptorModel model = new DescriptorModel(config());
        Tensor input = RandomTensors.uniform(seed, -2, 2, 6, 3, 45, 37);
        Tensor weights = RandomTensors.uniform(seed + 1, -1, 1, 6, 16)) {
      model.train(true);
      Trainer.backpropagate(model, input, p, MixedPrecision.FLOAT32, embeddings -> new Tensor(weights));
      List<double[]> chained = gradients(model);
      try (TensorVector params = model.parameters()) {
        for (long i = 0; i < params.size(); i++) {
          params.get(i).grad().zero_();
        }
      }
      // The same loss, sum(weights * embeddings), with GeM from composed ops and autograd throughout.
      try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
        Tensor pooled = model.backbone().features(input).clamp_min(new Scalar(Gem.DEFAULT_EPS))
            .pow(new Scalar(p)).mean(2, 3).pow(new Scalar(1 / p));
        model.head(pooled).mul(weights).sum().backward();
      }
      List<double[]> plain = gradients(model);
      assertEquals(plain.size(), chained.size());
      int compared = 0;
      for (int i = 0; i < plain.size(); i++) {
        if (plain.get(i) == null) {
          continue;
        }
        double error = TensorAssert.normRelativeError(chained.get(i), plain.get(i));
        assertTrue(error < 1e-4, "parameter " + i + ": relative error " + error);
        compared++;
      }
      assertTrue(compared > 40, "the backbone's parameters get gradients too: " + compared);
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
    Trainer.Result result = trainer(stage(20, 0.05, 2), run, init, 0).run(false);
    assertTrue(result.complete());
    assertEquals(40, result.losses().size(), "16 images, batch 8, 20 epochs");
    double after;
    try (DescriptorModel m = ModelFile.load(result.model())) {
      after = fixedBatchLoss(m);
      assertEquals(16, m.dimension());
    }
    assertTrue(after < 0.9 * before, "loss of a fixed two-view batch: before " + before + ", after " + after
        + " (seed " + seed + ")");
    List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertEquals(40, lines.stream().filter(l -> l.contains("\"loss\"")).count());
    assertTrue(lines.stream().anyMatch(l -> l.contains("probeMeanCosine")));
    assertTrue(Files.size(run.resolve("loss.png")) > 1000);
    assertTrue(Files.exists(run.resolve("s").resolve("model.iscm")));
    IllegalArgumentException again = assertThrows(IllegalArgumentException.class,
        () -> trainer(stage(10, 0.05, 2), run, init, 0).run(false));
    assertTrue(again.getMessage().contains("--resume"), again.getMessage());
  }

  @Test
  void theEntropyRegularizerJoinsTheGradientAndIsLogged() throws Exception {
    Path off = dir.resolve("off");
    Path on = dir.resolve("on");
    List<Double> plain = trainer(stage(2, 0.05, 0), off, null, 0).run(false).losses();
    List<Double> regularized = trainer(stage(2, 0.05, 0, 5.0), on, null, 0).run(false).losses();
    assertEquals(plain.get(0), regularized.get(0), "same weights and batch before the first update");
    assertNotEquals(plain.get(1), regularized.get(1), "the first update differs by the regularizer's gradient");
    List<Double> logged = loggedEntropies(on.resolve("metrics.jsonl"));
    assertEquals(regularized.size(), logged.size());
    assertTrue(logged.stream().allMatch(e -> e != 0.0), "the regularizer's value is logged: " + logged);
    List<Double> unregularized = loggedEntropies(off.resolve("metrics.jsonl"));
    assertEquals(plain.size(), unregularized.size());
    assertTrue(unregularized.stream().allMatch(e -> e == 0.0), "no regularizer, nothing logged: " + unregularized);
  }

  /** The "entropy" field of every step record, parsed: a value such as 0.0123 is not zero. */
  private static List<Double> loggedEntropies(Path metrics) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<Double> entropies = new ArrayList<>();
    for (String line : Files.readAllLines(metrics)) {
      JsonNode record = json.readTree(line);
      if (record.has("loss")) {
        entropies.add(record.get("entropy").asDouble());
      }
    }
    return entropies;
  }

  @Test
  void mixedPrecisionWithLossScalingTrainsAndResumes() throws Exception {
    // The CUDA float16 path's mechanics (autocast around the network, float32 loss, scaled
    // gradients, the scaler's state in checkpoints) with bfloat16 autocast on the CPU.
    MixedPrecision bf16 = new MixedPrecision(torch.DeviceType.CPU, torch.ScalarType.BFloat16, true);
    Stage stage = stage(2, 0.05, 0);
    List<Double> float32 = trainer(stage, dir.resolve("fp32"), null, 0).run(false).losses();
    Path run = dir.resolve("amp");
    Trainer.Result first = trainer(stage, run, null, 2).withPrecision(bf16).run(false);
    Trainer.Result rest = trainer(stage, run, null, 0).withPrecision(bf16).run(true);
    assertTrue(rest.complete());
    List<Double> amp = new ArrayList<>(first.losses());
    amp.addAll(rest.losses());
    assertEquals(4, amp.size());
    // Same weights and batch; bfloat16's 8-bit mantissa through 18 layers of a random network moves
    // the first loss by several percent (11 % seen), a broken cast far more or to a non-finite one.
    assertEquals(float32.get(0), amp.get(0), 0.25 * float32.get(0), "same weights and batch, 16-bit products");
    assertTrue(amp.stream().allMatch(Double::isFinite), amp.toString());
    String state = Files.readString(run.resolve("s").resolve("checkpoint").resolve("state.json"));
    assertTrue(state.contains("\"lossScale\" : 65536.0"), state);
    List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertTrue(lines.stream().filter(l -> l.contains("\"loss\"")).allMatch(l -> l.contains("\"lossScale\":65536.0")
        && l.contains("\"skipped\":false")), lines.get(0));
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
  void frozenParametersStayAsTheyWereAndTheOthersLearn() throws Exception {
    Path init = dir.resolve("init.iscm");
    torch.manual_seed(seed);
    try (DescriptorModel m = new DescriptorModel(config())) {
      ModelFile.save(init, m, "test init");
    }
    Stage frozen = base("s").freeze(List.of("backbone.conv1", "backbone.layer1", "backbone.layer2")).build();
    Trainer.Result result = new Trainer(new Recipe("test", 7, List.of(frozen)), data, Resources.local(),
        dir.resolve("run"), ComputeDevice.CPU, new Trainer.Options(2, 2, init, 0), Progress.none()).run(false);
    try (DescriptorModel before = ModelFile.load(init);
        DescriptorModel after = ModelFile.load(result.model());
        org.bytedeco.pytorch.StringTensorDict names = before.named_parameters()) {
      Map<String, Tensor> a = StateDicts.of(before);
      Map<String, Tensor> b = StateDicts.of(after);
      int same = 0;
      int changed = 0;
      for (long i = 0; i < names.size(); i++) {
        String name = names.get(i).key().getString();
        boolean equal = a.get(name).equal(b.get(name));
        if (frozen.frozen(name)) {
          assertTrue(equal, name + " is frozen but changed");
          same++;
        } else if (!equal) {
          changed++;
        }
      }
      assertTrue(same > 10, "frozen parameters checked: " + same);
      assertTrue(changed > 10, "the other parameters learn: " + changed + " changed");
    }
    Stage typo = base("s").freeze(List.of("backbone.layer9")).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Trainer(new Recipe("t", 7,
        List.of(typo)), data, Resources.local(), dir.resolve("run2"), ComputeDevice.CPU, new Trainer.Options(2, 2,
        init, 0), Progress.none()).run(false));
    assertTrue(e.getMessage().contains("backbone.layer9") && e.getMessage().contains("matches no parameter"),
        e.getMessage());
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
    Stage pairs = base("ft").views(List.of()).pairs(true).weightDecay(0).gradClip(0).negMargin(1.1).build();
    IllegalArgumentException noPairs = assertThrows(IllegalArgumentException.class,
        () -> trainer(pairs, dir.resolve("a"), null, 0));
    assertTrue(noPairs.getMessage().contains("--pairs"), noPairs.getMessage());
    Stage negatives = base("v98").referenceNegatives(2).weightDecay(0).schedule("linear").gradClip(0).build();
    IllegalArgumentException noRefs = assertThrows(IllegalArgumentException.class,
        () -> trainer(negatives, dir.resolve("b"), null, 0));
    assertTrue(noRefs.getMessage().contains("--references"), noRefs.getMessage());
    Stage big = base("big").batchSize(32).weightDecay(0).gradClip(0).build();
    IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
        () -> trainer(big, dir.resolve("c"), null, 0));
    assertTrue(few.getMessage().contains("fewer than one batch of 32"), few.getMessage());
  }
}
