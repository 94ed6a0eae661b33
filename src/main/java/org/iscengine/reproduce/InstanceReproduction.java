package org.iscengine.reproduce;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.augment.Resources;
import org.iscengine.data.InstanceBenchBuilder;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.eval.RevisitedEvaluation;
import org.iscengine.eval.RevisitedEvaluation.Protocol;
import org.iscengine.eval.RevisitedEvaluation.ProtocolMetrics;
import org.iscengine.eval.RevisitedGroundTruth;
import org.iscengine.extract.ImageList;
import org.iscengine.kernels.Knn;
import org.iscengine.kernels.Metric;
import org.iscengine.match.Matcher;
import org.iscengine.match.Predictions;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelFile;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.train.InsClrRecipe;
import org.iscengine.train.InsClrStage;
import org.iscengine.train.InsClrTrainer;
import org.iscengine.train.Trainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The InsCLR reproduction on an instance benchmark ({@code isc data instances}: queries/,
 * images/, gnd_instances.json): InsCLR trains on the benchmark's database images without their
 * labels (as InsCLR trains on INSTRE's), then the model before training and after each stage
 * describes queries and database, every query ranks the whole database by inner product, and the
 * revisited protocols (Easy, Medium, Hard; junk ignored) give mAP. Outputs already in the work
 * folder are kept, so a stopped run started again continues.
 */
public final class InstanceReproduction {
  private static final Logger log = LoggerFactory.getLogger(InstanceReproduction.class);

  /** The model each row of the report evaluates: before training, then one per stage. */
  static final String BEFORE = "before training";

  /** Per model (in order) the protocols' metrics; per stage what it selected; seconds per phase. */
  public record Outcome(Map<String, Map<Protocol, ProtocolMetrics>> results, List<InsClrTrainer.StageOutcome> stages,
      Map<String, Double> seconds, Path report) {}

  private final Path benchmark;
  private final Path work;
  private final InsClrRecipe recipe;
  private final ComputeDevice device;
  private final int workers;
  private final Resources resources;
  private final Progress.Factory progress;
  private final PhaseTimes phases = new PhaseTimes();
  private final Map<String, Double> seconds = phases.seconds();

  public InstanceReproduction(Path benchmark, Path work, InsClrRecipe recipe, ComputeDevice device, int workers,
      Resources resources, Progress.Factory progress) {
    this.benchmark = benchmark;
    this.work = work;
    this.recipe = recipe;
    this.device = device;
    this.workers = workers;
    this.resources = resources;
    this.progress = progress;
  }

  public Outcome run() {
    try {
      Files.createDirectories(work);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + work + ": " + e.getMessage(), e);
    }
    RevisitedGroundTruth truth = RevisitedGroundTruth.read(benchmark.resolve(InstanceBenchBuilder.GROUND_TRUTH));
    Path start = timed("start model", this::startModel);
    InsClrTrainer.Result trained = timed("train", () -> new InsClrTrainer(recipe, ImageList.of(
        benchmark.resolve("images")), resources, work.resolve("train"), device, new InsClrTrainer.Options(workers,
        start), progress).run());
    Map<String, Path> models = new LinkedHashMap<>();
    models.put(BEFORE, start);
    for (int s = 0; s < recipe.stages().size(); s++) {
      models.put("after " + recipe.stages().get(s).name(), trained.stageModels().get(s));
    }
    Map<String, Map<Protocol, ProtocolMetrics>> results = new LinkedHashMap<>();
    List<String> names = new ArrayList<>(models.keySet());
    for (int m = 0; m < names.size(); m++) {
      String name = names.get(m);
      // The database descriptors of a model are the ones the next stage mined its pools in.
      Path mined = m < recipe.stages().size()
          ? work.resolve("train").resolve(recipe.stages().get(m).name()).resolve("pool.h5") : null;
      results.put(name, timed("evaluate " + name, () -> evaluate(name, models.get(name), mined, truth)));
    }
    Path report = ReproductionReport.writeInstances(work, recipe, benchmark, results, trained.stages(), seconds,
        device);
    return new Outcome(results, trained.stages(), seconds, report);
  }

  /** The first stage's start (pretrained backbone, head drawn with the training's seed), kept as a file. */
  private Path startModel() {
    Path file = work.resolve("start.iscm");
    if (!Files.exists(file)) {
      InsClrStage first = recipe.stages().get(0);
      try (DescriptorModel model = Trainer.startingModel(first.modelConfig(), first.pretrained(),
          recipe.stageSeed(0))) {
        ModelFile.save(file, model, "InsCLR start: " + (first.pretrained() == null ? "random" : first.pretrained())
            + " backbone, seed " + recipe.seed());
      }
    }
    return file;
  }

  private Map<Protocol, ProtocolMetrics> evaluate(String name, Path modelFile, Path mined, RevisitedGroundTruth truth) {
    Path dir = work.resolve("descriptors").resolve(Reproduction.slug(name));
    try (DescriptorModel model = ModelFile.load(modelFile)) {
      Files.createDirectories(dir);
      model.moveTo(device, ScalarType.Float);
      model.train(false);
      Path database = mined != null && Files.exists(mined) ? mined : dir.resolve("images.h5");
      try (Descriptors q = InsClrTrainer.describe(model, ImageList.of(benchmark.resolve("queries")),
              dir.resolve("queries.h5"), device, workers, progress);
          Descriptors db = InsClrTrainer.describe(model, ImageList.of(benchmark.resolve("images")), database, device,
              workers, progress)) {
        // The kernel's k caps a ranking; images past it count as unscored (after all, positives last).
        Predictions ranking = new Matcher(Metric.INNER_PRODUCT).knn(q, db, Math.min(Knn.MAX_K, db.size()));
        Map<Protocol, ProtocolMetrics> metrics = RevisitedEvaluation.evaluate(ranking, truth);
        log.info("{}: mAP E {} M {} H {}", name, metrics.get(Protocol.EASY).meanAveragePrecision(),
            metrics.get(Protocol.MEDIUM).meanAveragePrecision(), metrics.get(Protocol.HARD).meanAveragePrecision());
        return metrics;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private <T> T timed(String phase, java.util.function.Supplier<T> step) {
    return phases.timed(phase, step);
  }
}
