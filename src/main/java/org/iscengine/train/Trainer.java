package org.iscengine.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.augment.ImagePool;
import org.iscengine.augment.Resources;
import org.iscengine.describe.Describer;
import org.iscengine.describe.Preprocess;
import org.iscengine.image.Images;
import org.iscengine.io.AtomicFile;
import org.iscengine.io.FileTrees;
import org.iscengine.kernels.ContrastiveForward;
import org.iscengine.kernels.ContrastiveMemoryLoss;
import org.iscengine.kernels.ContrastiveStats;
import org.iscengine.kernels.Gem;
import org.iscengine.kernels.GemGradients;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.MemoryBank;
import org.iscengine.kernels.Tensors;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelConfig;
import org.iscengine.model.ModelFile;
import org.iscengine.model.Pretrained;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.runtime.ComputeThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a descriptor model through the stages of a recipe, as the descriptor-track winner did:
 * two augmented views per image, the memory-bank contrastive loss (our kernel, forward and
 * backward), GeM (our kernel: its backward is chained by hand between the head's and the
 * backbone's autograd graphs), SGD with momentum and weight decay, warm-up then decay, gradient
 * clipping.
 *
 * <p>The run folder holds, per stage, a checkpoint (model, momentum buffers, memory bank, step;
 * replaced atomically every {@code checkpointEvery} steps) and, once the stage is done, its
 * model file; {@code model.iscm} at the top is the last stage's. {@code metrics.jsonl} and
 * {@code loss.png} record the steps. A resumed run continues from the checkpoints and, on a CPU,
 * computes the same losses as an uninterrupted run.
 */
public final class Trainer {
  private static final Logger log = LoggerFactory.getLogger(Trainer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int PROBE_IMAGES = 32;

  private final Recipe recipe;
  private final TrainingData data;
  private final Resources resources;
  private final Path runDir;
  private final ComputeDevice device;
  private final Options options;
  private final Progress.Factory progress;
  private MixedPrecision precisionOverride;  // tests: the CUDA path's mechanics on a CPU

  /**
   * How a run goes.
   *
   * @param workers threads making batches
   * @param checkpointEvery steps between checkpoints (and collapse checks)
   * @param init weights to start the first stage from (an isc model file; null: random)
   * @param stopAfter stop once this many steps have run in this invocation (0: never), leaving a
   *     checkpoint to resume from
   */
  public record Options(int workers, int checkpointEvery, Path init, long stopAfter) {
    public Options {
      if (workers < 1 || checkpointEvery < 1 || stopAfter < 0) {
        throw new IllegalArgumentException("workers and checkpointEvery must be >= 1, stopAfter >= 0");
      }
    }
  }

  /** The state kept next to a stage's checkpoint. */
  record CheckpointState(String recipe, long seed, String stage, long step, long total, boolean finished,
      Double lossScale, Integer goodSteps) {}

  /** What a run produced: the final model and, per step run now, the loss. */
  public record Result(Path model, boolean complete, List<Double> losses) {}

  public Trainer(Recipe recipe, TrainingData data, Resources resources, Path runDir, ComputeDevice device,
      Options options, Progress.Factory progress) {
    this.recipe = recipe;
    this.data = data;
    this.resources = resources.withOthers(ImagePool.of(data.images()));
    this.runDir = runDir;
    this.device = device;
    this.options = options;
    this.progress = progress;
    recipe.stages().forEach(data::check);
  }

  /** Runs the recipe; with resume, continues the run found in the run folder. */
  public Result run(boolean resume) {
    ComputeThreads.configure();
    prepareRunFolder(resume);
    List<Double> losses = new ArrayList<>();
    long budget = options.stopAfter() == 0 ? Long.MAX_VALUE : options.stopAfter();
    Path previous = options.init();
    for (Stage stage : recipe.stages()) {
      Path stageDir = runDir.resolve(stage.name());
      recoverCheckpoint(stageDir);
      Path state = stageDir.resolve("checkpoint").resolve("state.json");
      if (!Files.exists(stageDir.resolve("model.iscm"))) {  // steps logged after the checkpoint run again
        long from = Files.exists(state) ? readState(state.getParent()).step() : 0;
        TrainingLog.truncateAfter(runDir, stage.name(), from);
      }
    }
    try (TrainingLog metrics = new TrainingLog(runDir)) {
      for (int s = 0; s < recipe.stages().size(); s++) {
        Stage stage = recipe.stages().get(s);
        Path stageDir = runDir.resolve(stage.name());
        Path finalModel = stageDir.resolve("model.iscm");
        if (Files.exists(finalModel)) {
          log.info("stage {} already trained: {}", stage.name(), finalModel);
          previous = finalModel;
          continue;
        }
        long ran = runStage(s, stage, stageDir, previous, budget, metrics, losses);
        budget -= ran;
        metrics.plot();
        if (!Files.exists(finalModel)) {
          return new Result(null, false, losses);
        }
        previous = finalModel;
      }
    }
    Path model = runDir.resolve("model.iscm");
    Path lastStageModel = previous;
    AtomicFile.write(model, tmp -> Files.copy(lastStageModel, tmp, StandardCopyOption.REPLACE_EXISTING));
    return new Result(model, true, losses);
  }

  private void prepareRunFolder(boolean resume) {
    try {
      Files.createDirectories(runDir);
      Path recipeFile = runDir.resolve("recipe.json");
      byte[] wanted = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(recipe);
      if (Files.exists(recipeFile)) {
        if (!resume) {
          throw new IllegalArgumentException(runDir + " already holds a training run: add --resume to continue it,"
              + " or choose another folder");
        }
        if (!Arrays.equals(Files.readAllBytes(recipeFile), wanted)) {
          throw new IllegalArgumentException(runDir + " holds a run of another recipe or seed: it cannot be resumed"
              + " with this one");
        }
        return;
      }
      AtomicFile.write(recipeFile, tmp -> Files.write(tmp, wanted));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + runDir + ": " + e.getMessage(), e);
    }
  }

  /** Trains in this precision whatever the recipes say (tests run the CUDA path's mechanics on a CPU). */
  Trainer withPrecision(MixedPrecision precision) {
    this.precisionOverride = precision;
    return this;
  }

  /**
   * The network a fresh stage starts from: random weights drawn with the stage's seed, then, with
   * {@code pretrained} and where the stage names them, its pretrained backbone weights (the head
   * stays random).
   */
  public static DescriptorModel startingModel(Stage stage, long stageSeed, boolean pretrained) {
    return startingModel(stage.modelConfig(), pretrained ? stage.pretrained() : null, stageSeed);
  }

  /** A network of config with random weights drawn with seed, then these pretrained backbone weights (null: none). */
  public static DescriptorModel startingModel(ModelConfig config, String pretrained, long seed) {
    torch.manual_seed(seed);
    DescriptorModel model = new DescriptorModel(config);
    if (pretrained != null) {
      try {
        Pretrained.of(pretrained).load(model);
      } catch (RuntimeException e) {
        model.close();
        throw e;
      }
    }
    return model;
  }

  private long runStage(int index, Stage stage, Path stageDir, Path previous, long budget, TrainingLog metrics,
      List<Double> losses) {
    long total = Batches.stepsPerEpoch(stage, data) * stage.epochs();
    long stageSeed = recipe.stageSeed(index);
    Path checkpoint = stageDir.resolve("checkpoint");
    ModelConfig config = stage.modelConfig();
    MixedPrecision precision = precisionOverride != null ? precisionOverride
        : stage.amp() && device.isCuda() ? MixedPrecision.CUDA_FLOAT16 : MixedPrecision.FLOAT32;
    if (stage.amp() && !device.isCuda()) {
      log.info("stage {}: mixed precision runs on CUDA; training in float32 on the CPU", stage.name());
    }
    long start = 0;
    DescriptorModel model;
    LossScaler scaler = precision.scaled() ? new LossScaler(0, 0) : null;
    if (Files.exists(checkpoint.resolve("state.json"))) {
      CheckpointState state = readState(checkpoint);
      start = state.step();
      if (scaler != null && state.lossScale() != null) {
        scaler = new LossScaler(state.lossScale(), state.goodSteps() == null ? 0 : state.goodSteps());
      }
      model = ModelFile.load(checkpoint.resolve("model.iscm"), config);
      log.info("stage {}: resuming at step {} of {}", stage.name(), start, total);
    } else if (previous != null) {
      model = ModelFile.load(previous, config);
    } else {
      model = startingModel(stage, stageSeed, true);
    }
    try (model;
        Device torchDevice = device.torchDevice()) {
      model.moveTo(device, ScalarType.Float);
      model.train(true);
      freeze(model, stage);
      try (TensorVector parameters = model.parameters();
          Sgd sgd = new Sgd(parameters, stage.momentum(), stage.weightDecay());
          MemoryBank bank = start > 0 ? MemoryBank.load(checkpoint.resolve("bank.pt"), device)
              : new MemoryBank(stage.memorySize(), stage.dimension(), device);
          Tensor probe = probe(probeImages(), new Describer(model, device, Describer.Settings.single(
              Preprocess.Resize.SQUARE), null))) {
        if (start > 0) {
          sgd.load(checkpoint.resolve("optimizer.pt"));
        }
        ContrastiveMemoryLoss loss = new ContrastiveMemoryLoss(stage.posMargin(), stage.negMargin());
        long end = budget >= total - start ? total : start + budget;
        long ran = 0;
        try (Batches batches = new Batches(stage, data, resources, stageSeed, start, end, options.workers());
            Progress bar = progress.start("training " + stage.name(), total - start)) {
          for (long step = start; step < end; step++) {
            long t0 = System.nanoTime();
            Batches.Batch batch = batches.next();
            double lr = LearningRate.at(stage, step, total);
            double lossScale = scaler == null ? 1 : scaler.scale();  // this step's (the scaler updates it)
            StepOutcome outcome = step(model, sgd, loss, bank, batch, config, torchDevice, lr, stage, precision,
                scaler);
            ContrastiveStats stats = outcome.stats();
            double gradNorm = outcome.gradNorm();
            double seconds = (System.nanoTime() - t0) / 1e9;
            // A step the loss scaler skipped (float16 overflow) is expected now and then, not a divergence.
            if (!Double.isFinite(stats.loss()) || !outcome.skipped() && !Double.isFinite(gradNorm)) {
              throw new TrainingCollapsedException(String.format(Locale.ROOT, "training diverged at stage %s, step"
                  + " %d: the loss or its gradient is not finite. The usual cause is a learning rate too high"
                  + " (lr now %.4g): lower lr in the recipe or lengthen warmupSteps.", stage.name(), step, lr));
            }
            losses.add(stats.loss());
            metrics.step(new TrainingLog.StepRecord(stage.name(), step, total, (int) (step / (total
                / stage.epochs())), stats.loss(), stats.posLoss(), stats.negLoss(), outcome.entropy(),
                stats.activePositives(), stats.activeNegatives(), lr, outcome.skipped() ? 0 : gradNorm,
                lossScale, outcome.skipped(), stage.batchSize() / seconds));
            bar.step();
            ran++;
            boolean last = step + 1 == total;
            if ((step + 1) % options.checkpointEvery() == 0 || last || step + 1 == end) {
              double cos = CollapseDetector.check(model, probe, stage.name(), step, lr);
              metrics.event(Map.of("stage", stage.name(), "step", step, "probeMeanCosine", cos));
              saveCheckpoint(stageDir, model, sgd, bank, new CheckpointState(recipe.name(), recipe.seed(),
                  stage.name(), step + 1, total, last, scaler == null ? null : scaler.scale(),
                  scaler == null ? null : scaler.goodSteps()));
            }
          }
        }
        if (end == total) {
          ModelFile.save(stageDir.resolve("model.iscm"), model, "trained: recipe " + recipe.name() + ", stage "
              + stage.name() + ", " + total + " steps, seed " + recipe.seed());
        }
        return ran;
      }
    }
  }

  /** Turns off the gradients of the stage's frozen parameters (before the optimizer collects the rest). */
  private static void freeze(DescriptorModel model, Stage stage) {
    if (stage.freeze().isEmpty()) {
      return;
    }
    int frozen = 0;
    try (StringTensorDict named = model.named_parameters()) {
      for (long i = 0; i < named.size(); i++) {
        if (stage.frozen(named.get(i).key().getString())) {
          named.get(i).value().requires_grad_(false);
          frozen++;
        }
      }
      if (frozen == 0) {
        throw new IllegalArgumentException("stage " + stage.name() + ": freeze " + stage.freeze()
            + " matches no parameter; names look like " + named.get(0).key().getString());
      }
      log.info("stage {}: {} of {} parameter tensors frozen ({})", stage.name(), frozen, named.size(),
          stage.freeze());
    }
  }

  /**
   * The loss statistics of a step, the entropy regularizer (0 when off), the gradient norm before
   * clipping, and whether the loss scaler skipped the update (gradients not finite in float16).
   */
  private record StepOutcome(ContrastiveStats stats, double entropy, double gradNorm, boolean skipped) {}

  /** One optimisation step on a batch. */
  private StepOutcome step(DescriptorModel model, Sgd sgd, ContrastiveMemoryLoss loss, MemoryBank bank,
      Batches.Batch batch, ModelConfig config, Device torchDevice, double lr, Stage stage, MixedPrecision precision,
      LossScaler scaler) {
    try (PointerScope scope = new PointerScope()) {
      int s = batch.size();
      Tensor x = HostTensors.tensor(batch.pixels(), torchDevice, false, batch.rows(), 3, s, s);
      Tensor labels = torch.empty(new long[] {batch.rows()}, new TensorOptions(
          ScalarType.Long), new MemoryFormatOptional());
      try (LongPointer p = new LongPointer(labels.data_ptr())) {
        p.put(batch.labels());
      }
      Tensor y = device.isCuda() ? labels.to(torchDevice, ScalarType.Long, true, false, new MemoryFormatOptional())
          : labels;
      Tensor input = Preprocess.normalise(x, config)
          .contiguous(torch.MemoryFormat.ChannelsLast);
      sgd.zeroGrad();
      ContrastiveStats[] stats = new ContrastiveStats[1];
      double[] entropy = new double[1];
      double lossScale = scaler == null ? 1 : scaler.scale();
      backpropagate(model, input, stage.gemP(), precision, embeddings -> {
        Tensor gradient;
        try (ContrastiveForward forward = loss.forward(embeddings, y, bank)) {
          stats[0] = forward.stats();
          gradient = loss.backward(forward, lossScale);
        }
        if (stage.entropyWeight() == 0) {
          return gradient;
        }
        EntropyRegularizer.Result regularizer = EntropyRegularizer.of(embeddings, y);
        entropy[0] = regularizer.value();
        try (gradient; Tensor g = regularizer.gradient(); Scalar w = new Scalar(stage.entropyWeight() * lossScale)) {
          return gradient.add(g, w);
        }
      });
      if (scaler != null) {
        scaler.unscale(sgd);
      }
      double gradNorm = sgd.clipGradients(stage.gradClip());
      if (scaler != null && !scaler.update(gradNorm)) {
        sgd.zeroGrad();
        return new StepOutcome(stats[0], entropy[0], gradNorm, true);
      }
      sgd.step(lr);
      return new StepOutcome(stats[0], entropy[0], gradNorm, false);
    }
  }

  /**
   * Runs the model on normalised images and accumulates into its parameters' gradients the
   * gradient that {@code lossGradient} gives for the (detached, float32) embeddings: backbone and
   * head with autograd, under autocast when the precision says so, GeM by our kernel between
   * them with its backward chained by hand.
   */
  static void backpropagate(DescriptorModel model, Tensor input, double gemP, MixedPrecision precision,
      UnaryOperator<Tensor> lossGradient) {
    try (PointerScope scope = new PointerScope()) {
      Tensor features;
      try (MixedPrecision.Scope autocast = precision.enter()) {
        features = model.backbone().features(input).contiguous();
      }
      Tensor detached = features.detach();
      Tensor pooled = Gem.forward(detached, gemP);
      pooled.requires_grad_(true);
      Tensor embeddings;
      try (MixedPrecision.Scope autocast = precision.enter()) {
        embeddings = model.head(pooled);
      }
      Tensor gradEmbeddings = lossGradient.apply(embeddings.detach().to(ScalarType.Float))
          .to(Tensors.dtype(embeddings));
      embeddings.backward(gradEmbeddings, new BoolOptional(), false, new TensorArrayRefOptional());
      if (!features.requires_grad()) {  // the whole backbone is frozen
        return;
      }
      GemGradients gem = Gem.backward(pooled.grad(), detached, pooled, gemP, Gem.DEFAULT_EPS, false);
      features.backward(gem.input(), new BoolOptional(), false, new TensorArrayRefOptional());
    }
  }

  /** Up to PROBE_IMAGES training images, spread over the list. */
  private List<Path> probeImages() {
    List<Path> files = data.images().isEmpty() ? data.references() : data.images();
    int n = Math.min(PROBE_IMAGES, files.size());
    List<Path> picked = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      picked.add(files.get((int) ((long) i * files.size() / n)));
    }
    return picked;
  }

  /**
   * The network input of a fixed batch of images (resized only) whose descriptors the collapse
   * check compares: the describing pipeline's, so that the check sees what extraction will.
   */
  static Tensor probe(List<Path> files, Describer describer) {
    List<float[]> images = new ArrayList<>(files.size());
    for (Path file : files) {
      try (Mat image = Images.read(file)) {
        images.add(describer.prepare(image)[0]);
      }
    }
    return describer.input(images, 0);
  }

  private static CheckpointState readState(Path checkpoint) {
    try {
      return JSON.readValue(checkpoint.resolve("state.json").toFile(), CheckpointState.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable checkpoint " + checkpoint + ": " + e.getMessage(), e);
    }
  }

  /** Publishes the checkpoint folder ({@link FileTrees#publish}): a crash leaves the previous one whole. */
  private static void saveCheckpoint(Path stageDir, DescriptorModel model, Sgd sgd, MemoryBank bank,
      CheckpointState state) {
    FileTrees.publish(stageDir.resolve("checkpoint"), folder -> {
      ModelFile.save(folder.resolve("model.iscm"), model, "checkpoint: stage " + state.stage() + ", step "
          + state.step());
      sgd.save(folder.resolve("optimizer.pt"));
      bank.save(folder.resolve("bank.pt"));
      Files.write(folder.resolve("state.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
    });
  }

  /** Puts back the checkpoint of a run stopped while it was replacing it. */
  static void recoverCheckpoint(Path stageDir) {
    try {
      FileTrees.recover(stageDir.resolve("checkpoint"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot recover the checkpoint in " + stageDir + ": " + e.getMessage(), e);
    }
  }
}
