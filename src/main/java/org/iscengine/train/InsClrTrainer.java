package org.iscengine.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.augment.Augmenter;
import org.iscengine.augment.Resources;
import org.iscengine.augment.Rng;
import org.iscengine.describe.Preprocess;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.extract.ExtractOptions;
import org.iscengine.extract.Extractor;
import org.iscengine.extract.ImageList;
import org.iscengine.image.Images;
import org.iscengine.io.AtomicFile;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.Tensors;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelFile;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.runtime.ComputeThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a descriptor model as InsCLR does, without labels, stage after stage. Each stage:
 * <ol>
 *   <li>describes the training pool with the stage's start model (the previous stage's, or the
 *       pretrained / {@code --init} one), through the extraction pipeline ({@code pool.h5});
 *   <li>builds every image's candidate pool, its K nearest images ({@link CandidatePool}), and
 *       chooses positives and hard negatives in it by the thresholds ({@link PairSelection});
 *   <li>fills the memory bank with those descriptors ({@link PoolMemory});
 *   <li>trains: batches of images, each with its positives (a second view of itself when it has
 *       fewer), augmented; InsCLR's loss ({@link InsClrLoss}) against the batch and the memory
 *       rows of the batch's positives, its hard negatives and random others; Adam; the batch's
 *       fresh embeddings replace their memory rows;
 *   <li>writes its model ({@code STAGE/model.iscm}) and what it selected ({@code STAGE/stage.json}).
 * </ol>
 * A finished stage is kept when a run starts again; an unfinished one starts over. {@code
 * model.iscm} at the top is the last stage's; {@code metrics.jsonl} and {@code loss.png} record the
 * steps.
 */
public final class InsClrTrainer {
  private static final Logger log = LoggerFactory.getLogger(InsClrTrainer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * How a run goes.
   *
   * @param workers threads decoding images for the description
   * @param init weights the first stage starts from (an isc model file; null: the recipe's
   *     pretrained backbone, or random)
   */
  public record Options(int workers, Path init) {
    public Options {
      if (workers < 1) {
        throw new IllegalArgumentException("workers must be >= 1, got " + workers);
      }
    }
  }

  /**
   * What a stage selected and how its loss went.
   *
   * @param candidates the pool size used (K, at most images - 1)
   * @param meanPositives positives per image, on average
   * @param withPositives the share of images with at least one positive
   * @param meanHardNegatives hard negatives per image, on average
   * @param firstLoss mean loss of the first tenth of the steps
   * @param lastLoss mean loss of the last tenth
   */
  public record StageOutcome(String stage, int images, int candidates, double meanPositives, double withPositives,
      double meanHardNegatives, int steps, double firstLoss, double lastLoss) {}

  /** The last stage's model, each stage's model (in order) and outcome. */
  public record Result(Path model, List<Path> stageModels, List<StageOutcome> stages) {}

  private final InsClrRecipe recipe;
  private final ImageList pool;
  private final Resources resources;
  private final Path runDir;
  private final ComputeDevice device;
  private final Options options;
  private final Progress.Factory progress;
  private final List<Double> losses = new ArrayList<>();

  public InsClrTrainer(InsClrRecipe recipe, ImageList pool, Resources resources, Path runDir, ComputeDevice device,
      Options options, Progress.Factory progress) {
    if (pool.size() < 3) {
      throw new IllegalArgumentException("InsCLR needs at least 3 training images, got " + pool.size());
    }
    this.recipe = recipe;
    this.pool = pool;
    this.resources = resources;
    this.runDir = runDir;
    this.device = device;
    this.options = options;
    this.progress = progress;
  }

  /** The loss of every step run by this trainer, in order. */
  public List<Double> losses() {
    return List.copyOf(losses);
  }

  public Result run() {
    ComputeThreads.configure();
    prepareRunFolder();
    Path previous = options.init();
    List<Path> models = new ArrayList<>();
    List<StageOutcome> outcomes = new ArrayList<>();
    try (TrainingLog metrics = new TrainingLog(runDir)) {
      for (int s = 0; s < recipe.stages().size(); s++) {
        InsClrStage stage = recipe.stages().get(s);
        Path stageDir = runDir.resolve(stage.name());
        Path model = stageDir.resolve("model.iscm");
        Path summary = stageDir.resolve("stage.json");
        if (Files.exists(model) && Files.exists(summary)) {
          log.info("stage {} already trained: {}", stage.name(), model);
          outcomes.add(readOutcome(summary));
        } else {
          outcomes.add(runStage(s, stage, stageDir, previous, metrics));
          metrics.plot();
        }
        models.add(model);
        previous = model;
      }
    }
    Path last = runDir.resolve("model.iscm");
    Path lastStage = previous;
    AtomicFile.write(last, tmp -> Files.copy(lastStage, tmp, StandardCopyOption.REPLACE_EXISTING));
    return new Result(last, models, outcomes);
  }

  private void prepareRunFolder() {
    try {
      Files.createDirectories(runDir);
      Path recipeFile = runDir.resolve("recipe.json");
      byte[] wanted = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(recipe);
      if (Files.exists(recipeFile) && !Arrays.equals(Files.readAllBytes(recipeFile), wanted)) {
        throw new IllegalArgumentException(runDir + " holds a run of another recipe or seed: choose another folder");
      }
      AtomicFile.write(recipeFile, tmp -> Files.write(tmp, wanted));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + runDir + ": " + e.getMessage(), e);
    }
  }

  private StageOutcome runStage(int index, InsClrStage stage, Path stageDir, Path previous, TrainingLog metrics) {
    long seed = recipe.stageSeed(index);
    DescriptorModel model = previous != null ? ModelFile.load(previous, stage.modelConfig())
        : Trainer.startingModel(stage.modelConfig(), stage.pretrained(), seed);
    try (model;
        Device torchDevice = device.torchDevice()) {
      model.moveTo(device, ScalarType.Float);
      model.train(false);
      Files.createDirectories(stageDir);
      try (Descriptors described = describe(model, pool, stageDir.resolve("pool.h5"), device, options.workers(),
          progress)) {
        List<Path> files = filesOf(described.ids());
        int n = files.size();
        int k = Math.min(stage.candidates(), n - 1);
        if (k < stage.candidates()) {
          log.info("stage {}: {} images, so candidate pools of {} instead of {}", stage.name(), n, k,
              stage.candidates());
        }
        CandidatePool candidates = CandidatePool.of(described.vectors(), k, device);
        PairSelection selection = PairSelection.of(candidates, stage.thresholds(),
            stage.expandRounds() > 0 ? HostTensors.toArray(described.vectors()) : null, described.dim());
        double hardNegatives = 0;
        for (int i = 0; i < n; i++) {
          hardNegatives += selection.negatives(i).length;
        }
        hardNegatives /= n;
        log.info(String.format(Locale.ROOT, "stage %s: %d images, pools of %d; %.2f positives per image (%.0f %% of"
            + " images have one), %.1f hard negatives", stage.name(), n, k, selection.meanPositives(),
            100 * selection.withPositives(), hardNegatives));
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("stage", stage.name());
        event.put("images", n);
        event.put("candidates", k);
        event.put("meanPositives", selection.meanPositives());
        event.put("withPositives", selection.withPositives());
        event.put("meanHardNegatives", hardNegatives);
        metrics.event(event);
        List<Double> stageLosses = train(stage, seed, model, files, selection, described.vectors(), torchDevice,
            metrics);
        model.train(false);
        ModelFile.save(stageDir.resolve("model.iscm"), model, "InsCLR: recipe " + recipe.name() + ", stage "
            + stage.name() + ", " + stage.steps() + " steps, seed " + recipe.seed());
        int tenth = Math.max(1, stageLosses.size() / 10);
        StageOutcome outcome = new StageOutcome(stage.name(), n, k, selection.meanPositives(),
            selection.withPositives(), hardNegatives, stageLosses.size(), mean(stageLosses.subList(0, tenth)),
            mean(stageLosses.subList(stageLosses.size() - tenth, stageLosses.size())));
        AtomicFile.write(stageDir.resolve("stage.json"), tmp -> Files.write(tmp,
            JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(outcome)));
        return outcome;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Unit descriptors of images by model (already on device, in evaluation mode), through the
   * extraction pipeline into out (kept: a second call reads it); images that cannot be read are
   * left out, as extraction leaves them.
   */
  public static Descriptors describe(DescriptorModel model, ImageList images, Path out, ComputeDevice device,
      int workers, Progress.Factory progress) {
    if (!Files.exists(out)) {
      ExtractOptions extract = new ExtractOptions(32, workers, Preprocess.Resize.SQUARE, new double[] {1.0}, false,
          8192);
      new Extractor(model, out.getFileName().toString(), extract, device, ScalarType.Float, progress).run(images, out);
    }
    return DescriptorFiles.read(out);
  }

  private List<Path> filesOf(List<String> ids) {
    Map<String, Path> byId = new HashMap<>();
    for (int i = 0; i < pool.size(); i++) {
      byId.put(pool.ids().get(i), pool.files().get(i));
    }
    List<Path> files = new ArrayList<>(ids.size());
    for (String id : ids) {
      Path f = byId.get(id);
      if (f == null) {
        throw new IllegalStateException("described image " + id + " is not in the training pool");
      }
      files.add(f);
    }
    if (files.size() < 3) {
      throw new IllegalArgumentException("only " + files.size() + " training images could be read; InsCLR needs 3");
    }
    return files;
  }

  private List<Double> train(InsClrStage stage, long seed, DescriptorModel model, List<Path> files,
      PairSelection selection, Tensor features, Device torchDevice, TrainingLog metrics) {
    model.train(true);
    Augmenter augmenter = Augmenter.preset(stage.view(), stage.trainSize(), resources);
    InsClrLoss loss = new InsClrLoss(stage.margin());
    List<Double> stageLosses = new ArrayList<>();
    int n = files.size();
    int[] order = new int[0];
    int next = 0;
    int epoch = 0;
    try (TensorVector parameters = model.parameters();
        Adam adam = new Adam(parameters, stage.weightDecay());
        PoolMemory memory = new PoolMemory(features, device);
        Progress bar = progress.start("InsCLR " + stage.name(), stage.steps())) {
      for (int step = 0; step < stage.steps(); step++) {
        int[] anchors = new int[Math.min(stage.batchSize(), n)];
        for (int a = 0; a < anchors.length; a++) {
          if (next == order.length) {
            order = Rng.of(seed, -1 - epoch++).permutation(n);
            next = 0;
          }
          anchors[a] = order[next++];
        }
        Rng rng = Rng.of(seed, step);
        StepBatch batch = StepBatch.of(anchors, stage.positivesPerImage(), selection, rng);
        int[] memoryIds = step >= stage.memoryFrom() ? memoryRows(batch, selection, stage.memorySamples(), n, rng)
            : new int[0];
        double lr = stage.lrAt(step);
        double[] outcome = step(model, adam, loss, memory, batch, memoryIds, selection, files, augmenter, stage, rng,
            torchDevice, lr);
        if (!Double.isFinite(outcome[0]) || !Double.isFinite(outcome[1])) {
          throw new TrainingCollapsedException(String.format(Locale.ROOT, "InsCLR training diverged at stage %s,"
              + " step %d: the loss or its gradient is not finite; lower lr (now %.4g)", stage.name(), step, lr));
        }
        stageLosses.add(outcome[0]);
        losses.add(outcome[0]);
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("stage", stage.name());
        record.put("step", step);
        record.put("total", stage.steps());
        record.put("loss", outcome[0]);
        record.put("gradNorm", outcome[1]);
        record.put("activePositives", (long) outcome[2]);
        record.put("activeNegatives", (long) outcome[3]);
        record.put("memoryRows", memoryIds.length);
        record.put("lr", lr);
        metrics.event(record);
        bar.step();
      }
    }
    return stageLosses;
  }

  /** One step; {loss, gradient norm, active positive pairs, active negative pairs}. */
  private double[] step(DescriptorModel model, Adam adam, InsClrLoss loss, PoolMemory memory, StepBatch batch,
      int[] memoryIds, PairSelection selection, List<Path> files, Augmenter augmenter, InsClrStage stage, Rng rng,
      Device torchDevice, double lr) {
    try (PointerScope scope = new PointerScope()) {
      int size = stage.trainSize();
      int plane = 3 * size * size;
      int rows = batch.images().length;
      float[] pixels = new float[rows * plane];
      for (int r = 0; r < rows; r++) {
        try (Mat image = Images.read(files.get(batch.images()[r]));
            Mat view = augmenter.apply(image, rng.nextLong())) {
          System.arraycopy(Preprocess.chw(view, size, Preprocess.Resize.SQUARE, false), 0, pixels, r * plane, plane);
        }
      }
      Tensor x = HostTensors.tensor(pixels, torchDevice, false, rows, 3, size, size);
      Tensor input = Preprocess.normalise(x, model.config()).contiguous(torch.MemoryFormat.ChannelsLast);
      Tensor bank = memoryIds.length == 0 ? null : memory.rows(memoryIds);
      float[][] masks = batch.masks(memoryIds, selection);
      adam.zeroGrad();
      double[] out = new double[4];
      Trainer.backpropagate(model, input, stage.gemP(), MixedPrecision.FLOAT32, embeddings -> {
        InsClrLoss.Value value = loss.evaluate(embeddings, bank, masks[0], masks[1]);
        out[0] = value.loss();
        out[2] = value.activePositives();
        out[3] = value.activeNegatives();
        memory.write(batch.images(), Tensors.l2Normalize(embeddings));
        return value.gradient();
      });
      out[1] = adam.clipGradients(stage.gradClip());
      adam.step(lr);
      return out;
    }
  }

  /**
   * The memory rows a step compares with: the positives and hard negatives of its anchors, then
   * random other images up to samples in all; never an image of the batch itself (its fresh
   * embedding is in the batch).
   */
  static int[] memoryRows(StepBatch batch, PairSelection selection, int samples, int images, Rng rng) {
    Set<Integer> inBatch = new java.util.HashSet<>();
    for (int i : batch.images()) {
      inBatch.add(i);
    }
    Set<Integer> chosen = new LinkedHashSet<>();
    for (int a : batch.anchors()) {
      for (int p : selection.positives(a)) {
        if (!inBatch.contains(p)) {
          chosen.add(p);
        }
      }
    }
    for (int a : batch.anchors()) {
      for (int q : selection.negatives(a)) {
        if (!inBatch.contains(q)) {
          chosen.add(q);
        }
      }
    }
    int target = Math.min(samples, images - inBatch.size());
    if (chosen.size() < target) {
      for (int candidate : rng.permutation(images)) {
        if (chosen.size() >= target) {
          break;
        }
        if (!inBatch.contains(candidate)) {
          chosen.add(candidate);
        }
      }
    }
    return chosen.stream().mapToInt(Integer::intValue).toArray();
  }

  private static StageOutcome readOutcome(Path file) {
    try {
      return JSON.readValue(file.toFile(), StageOutcome.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable stage summary " + file + ": " + e.getMessage(), e);
    }
  }

  private static double mean(List<Double> values) {
    return values.stream().mapToDouble(d -> d).average().orElse(Double.NaN);
  }
}
