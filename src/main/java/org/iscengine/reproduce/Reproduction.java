package org.iscengine.reproduce;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.augment.Resources;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.descriptor.PostProcessConfig;
import org.iscengine.descriptor.PostProcessor;
import org.iscengine.descriptor.ScoreNormalization;
import org.iscengine.eval.MatchGallery;
import org.iscengine.eval.GroundTruth;
import org.iscengine.eval.IscEvaluation;
import org.iscengine.eval.PrCurvePlot;
import org.iscengine.extract.ExtractOptions;
import org.iscengine.extract.Extractor;
import org.iscengine.extract.ImageList;
import org.iscengine.hash.ImageBatch;
import org.iscengine.hash.PdqCsv;
import org.iscengine.hash.PdqHash;
import org.iscengine.hash.PdqHasher;
import org.iscengine.hash.PdqMatcher;
import org.iscengine.hash.Thumbnail;
import org.iscengine.kernels.Metric;
import org.iscengine.match.GeometricVerification;
import org.iscengine.match.Matcher;
import org.iscengine.match.Predictions;
import org.iscengine.match.PredictionsCsv;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelFile;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.train.Recipe;
import org.iscengine.train.Stage;
import org.iscengine.train.Trainer;
import org.iscengine.train.TrainingData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole reproduction on a benchmark in the DISC21 layout: train with a recipe on its
 * training images, describe queries, references and training images with the untrained and the
 * trained network, post-process, match (k nearest references per query), evaluate with the ISC21
 * metric, and write a report comparing, on the same queries: the untrained network, the trained
 * model, trained + DBA/NES, and trained + DBA/NES + score normalization; then the untrained
 * network and trained + DBA/NES with each query's scores taken relative to its 10th neighbour
 * ({@link Matcher#relativeToRank}, a matching-track calibration), the latter also re-scored by
 * local-feature geometry ({@link GeometricVerification}); with a pretrained start, the pretrained
 * network before training; and, as baselines without
 * learning, PDQ hashes (each query's 10 nearest references by Hamming distance, scored 1 -
 * distance / 256, {@link PdqMatcher}) and 16 x 16 grey thumbnails ({@link Thumbnail}, 10 nearest
 * by inner product), computed from the same query and reference images. Every step keeps its
 * output in the work folder and is skipped when that output is already there, so a stopped run
 * started again continues.
 */
public final class Reproduction {
  private static final Logger log = LoggerFactory.getLogger(Reproduction.class);
  private static final int NEIGHBOURS = 10;
  private static final int ERRORS_SHOWN = 12;

  /** The "model" of the PDQ baseline: hashes in hashes/SPLIT.csv, matched by Hamming distance. */
  static final String PDQ = "pdq";

  /** The "model" of the thumbnail baseline: descriptors in descriptors/thumbnail/SPLIT.h5. */
  static final String THUMBNAIL = "thumbnail";

  /** The pretrained network before training, where the recipe starts from pretrained weights. */
  static final String PRETRAINED = "pretrained";

  private static final String UNTRAINED_NETWORK = "untrained network";
  private static final String PRETRAINED_NETWORK = "pretrained network";
  private static final String TRAINED = "trained";
  private static final String TRAINED_NES = "trained + DBA/NES";
  private static final String TRAINED_NES_RELATIVE = "trained + DBA/NES, scores relative to rank 10";
  private static final String TRAINED_NES_RELATIVE_VERIFIED = "trained + DBA/NES, relative to rank 10, geometric"
      + " verification";

  /**
   * One compared system: its name, descriptors, post-processing, the rank its scores are taken
   * relative to (0: raw scores), and whether its pairs are re-scored by geometric verification.
   */
  record Variant(String name, String model, PostProcessConfig postProcess, int relativeToRank, boolean verified) {
    Variant(String name, String model, PostProcessConfig postProcess) {
      this(name, model, postProcess, 0, false);
    }

    Variant(String name, String model, PostProcessConfig postProcess, int relativeToRank) {
      this(name, model, postProcess, relativeToRank, false);
    }
  }

  /** The metrics of a variant, and the seconds each phase took. */
  public record Outcome(Map<String, IscEvaluation.Result> results, Map<String, Double> seconds, Path report) {}

  private final Path benchmark;
  private final Path work;
  private final Recipe recipe;
  private final ComputeDevice device;
  private final int workers;
  private final Resources resources;
  private final Progress.Factory progress;
  private final Map<String, Double> seconds = new LinkedHashMap<>();

  public Reproduction(Path benchmark, Path work, Recipe recipe, ComputeDevice device, int workers,
      Resources resources, Progress.Factory progress) {
    this.benchmark = benchmark;
    this.work = work;
    this.recipe = recipe;
    this.device = device;
    this.workers = workers;
    this.resources = resources;
    this.progress = progress;
  }

  /** The variants of the report; with a pretrained start, the pretrained network before training too. */
  static List<Variant> variants(boolean pretrained) {
    PostProcessConfig none = PostProcessConfig.recipe("none");
    PostProcessConfig nes = PostProcessConfig.recipe("lyakaap");
    PostProcessConfig nesScore = new PostProcessConfig(nes.normalize(), nes.pcaDimension(), nes.whiten(), nes.dbaK(),
        nes.dbaAlpha(), nes.nesK(), nes.nesBeta(), nes.nesIterations(), ScoreNormalization.sscd().toString());
    List<Variant> variants = new java.util.ArrayList<>(List.of(new Variant(UNTRAINED_NETWORK, "untrained", none)));
    if (pretrained) {
      variants.add(new Variant(PRETRAINED_NETWORK, PRETRAINED, none));
    }
    variants.addAll(List.of(new Variant(TRAINED, "trained", none),
        new Variant(TRAINED_NES, "trained", nes),
        new Variant(TRAINED_NES + " + score normalization", "trained", nesScore),
        new Variant("untrained network, scores relative to rank 10", "untrained", none, NEIGHBOURS),
        new Variant(TRAINED_NES_RELATIVE, "trained", nes, NEIGHBOURS),
        new Variant(TRAINED_NES_RELATIVE_VERIFIED, "trained", nes, NEIGHBOURS, true),
        new Variant("PDQ (Hamming)", PDQ, none), new Variant("thumbnail 16×16", THUMBNAIL, none)));
    return variants;
  }

  /** What the report says each step adds: pairs of systems (before, after) that differ by one step. */
  static List<List<String>> steps() {
    return List.of(List.of(UNTRAINED_NETWORK, PRETRAINED_NETWORK), List.of(PRETRAINED_NETWORK, TRAINED),
        List.of(TRAINED, TRAINED_NES), List.of(TRAINED_NES, TRAINED_NES + " + score normalization"),
        List.of(TRAINED_NES, TRAINED_NES_RELATIVE), List.of(TRAINED_NES_RELATIVE, TRAINED_NES_RELATIVE_VERIFIED));
  }

  private boolean pretrainedStart() {
    return recipe.stages().get(0).pretrained() != null;
  }

  public Outcome run() {
    try {
      Files.createDirectories(work);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + work + ": " + e.getMessage(), e);
    }
    Path trained = timed("train", this::train);
    Path untrained = timed("untrained model", this::untrained);
    Map<String, Path> models = new LinkedHashMap<>(Map.of("untrained", untrained, "trained", trained));
    if (pretrainedStart()) {
      models.put(PRETRAINED, timed("pretrained model", this::pretrained));
    }
    for (var m : models.entrySet()) {
      timed("extract " + m.getKey(), () -> {
        extract(m.getKey(), m.getValue());
        return null;
      });
    }
    timed("PDQ hashes", () -> {
      hashes();
      return null;
    });
    timed("thumbnails", () -> {
      thumbnails();
      return null;
    });
    GroundTruth truth = GroundTruth.read(benchmark.resolve("ground_truth.csv"));
    Map<String, IscEvaluation.Result> results = new LinkedHashMap<>();
    for (Variant v : variants(pretrainedStart())) {
      results.put(v.name(), timed("evaluate " + v.name(), () -> evaluate(v, truth)));
    }
    Path report = ReproductionReport.write(work, recipe, benchmark, results, seconds, device);
    PrCurvePlot.write(work.resolve("report-pr.png"), "mini-DISC: precision-recall of the compared systems", results);
    errors(results, truth);
    return new Outcome(results, seconds, report);
  }

  private Path train() {
    Path run = work.resolve("train");
    Path model = run.resolve("model.iscm");
    if (Files.exists(model)) {
      log.info("trained model found: {}", model);
      return model;
    }
    TrainingData data = TrainingData.of(benchmark.resolve("training_images"), benchmark.resolve(
        "reference_images"), recipe.stages().stream().anyMatch(Stage::pairs) ? benchmark : null);
    Trainer trainer = new Trainer(recipe, data, resources, run, device, new Trainer.Options(workers, 50, null, 0),
        progress);
    return trainer.run(Files.exists(run.resolve("recipe.json"))).model();
  }

  /** The first stage's network with random weights only, drawn with the training's seed. */
  private Path untrained() {
    return startingModel("untrained.iscm", false, "random initialisation, seed " + recipe.seed());
  }

  /** The network the training starts from: the pretrained backbone and the random head (the fair "before"). */
  private Path pretrained() {
    return startingModel("pretrained.iscm", true, recipe.stages().get(0).pretrained() + " backbone, random head, seed "
        + recipe.seed() + " (the training's start)");
  }

  private Path startingModel(String name, boolean pretrained, String description) {
    Path file = work.resolve(name);
    if (!Files.exists(file)) {
      try (DescriptorModel model = Trainer.startingModel(recipe.stages().get(0), recipe.stageSeed(0), pretrained)) {
        ModelFile.save(file, model, description);
      }
    }
    return file;
  }

  private void extract(String name, Path modelFile) {
    Path dir = work.resolve("descriptors").resolve(name);
    try (DescriptorModel model = ModelFile.load(modelFile)) {
      model.moveTo(device, ScalarType.Float);
      ExtractOptions options = new ExtractOptions(32, workers, org.iscengine.describe.Preprocess.Resize.SQUARE,
          new double[] {1.0}, false, 8192);
      for (String split : List.of("query", "reference", "training")) {
        Path out = dir.resolve(split + ".h5");
        if (Files.exists(out)) {
          continue;
        }
        Files.createDirectories(dir);
        new Extractor(model, name, options, device, ScalarType.Float, progress)
            .run(ImageList.of(benchmark.resolve(split + "_images")), out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** PDQ hashes of the queries and references, in hashes/SPLIT.csv (the format of {@code isc hash}). */
  private void hashes() {
    for (String split : List.of("query", "reference")) {
      Path out = work.resolve("hashes").resolve(split + ".csv");
      if (Files.exists(out)) {
        continue;
      }
      ImageBatch.Result<PdqHash> result = ImageBatch.map(ImageList.of(benchmark.resolve(split + "_images")),
          PdqHasher::hash, workers, progress, "PDQ " + split);
      logFailures(result, out);
      PdqCsv.write(out, new PdqCsv.Rows(result.ids(), result.values()));
    }
  }

  /** Thumbnail descriptors of the queries and references, written as the networks' are. */
  private void thumbnails() {
    Path dir = work.resolve("descriptors").resolve(THUMBNAIL);
    for (String split : List.of("query", "reference")) {
      Path out = dir.resolve(split + ".h5");
      if (Files.exists(out)) {
        continue;
      }
      ImageBatch.Result<float[]> result = ImageBatch.map(ImageList.of(benchmark.resolve(split + "_images")),
          Thumbnail::describe, workers, progress, "thumbnails " + split);
      logFailures(result, out);
      try (Descriptors d = Descriptors.of(result.ids(), result.values(), Thumbnail.DIMENSION)) {
        DescriptorFiles.write(out, d);
      }
    }
  }

  /** Unreadable images are left out (as the extractor does), and named in the log. */
  private static void logFailures(ImageBatch.Result<?> result, Path out) {
    if (!result.failures().isEmpty()) {
      log.warn("{}: {} images could not be read and are left out: {}", out, result.failures().size(),
          result.failures().stream().limit(10).map(f -> f.file() + " (" + f.reason() + ")").toList());
    }
  }

  private IscEvaluation.Result evaluate(Variant v, GroundTruth truth) {
    Predictions predictions = v.model().equals(PDQ) ? pdqPredictions() : descriptorPredictions(v);
    Path csv = work.resolve("predictions").resolve(slug(v.name()) + ".csv");
    try {
      Files.createDirectories(csv.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    PredictionsCsv.write(csv, predictions);
    return IscEvaluation.evaluate(predictions, truth);
  }

  /** Each query's nearest references by Hamming distance of the PDQ hashes. */
  private Predictions pdqPredictions() {
    PdqCsv.Rows q = PdqCsv.read(work.resolve("hashes").resolve("query.csv"));
    PdqCsv.Rows r = PdqCsv.read(work.resolve("hashes").resolve("reference.csv"));
    return PdqMatcher.knn(q, r, Math.min(NEIGHBOURS, r.size()));
  }

  /** Post-processed descriptors, each query's nearest references by inner product. */
  private Predictions descriptorPredictions(Variant v) {
    Path dir = work.resolve("descriptors").resolve(v.model());
    try (Descriptors q = DescriptorFiles.read(dir.resolve("query.h5"));
        Descriptors r = DescriptorFiles.read(dir.resolve("reference.h5"));
        Descriptors t = v.postProcess().needsTraining() ? DescriptorFiles.read(dir.resolve("training.h5")) : null;
        PostProcessor.Output processed = new PostProcessor(v.postProcess(), device).run(q, r, t)) {
      int k = Math.min(NEIGHBOURS, processed.references().size());
      Predictions predictions = new Matcher(Metric.INNER_PRODUCT).knn(processed.queries(), processed.references(), k);
      if (v.relativeToRank() > 0 && k >= 2) {
        predictions = Matcher.relativeToRank(predictions, Math.min(v.relativeToRank(), k));
      }
      if (v.verified()) {
        predictions = new GeometricVerification(GeometricVerification.Options.defaults()).rescore(predictions,
            ImageList.of(benchmark.resolve("query_images")).lookup(),
            ImageList.of(benchmark.resolve("reference_images")).lookup(), progress);
      }
      return predictions;
    }
  }

  /** report-errors.png and report-matches.html: the errors (and the top pairs) of the system with the highest μAP. */
  private void errors(Map<String, IscEvaluation.Result> results, GroundTruth truth) {
    String best = results.entrySet().stream()
        .max(Comparator.comparingDouble(e -> e.getValue().metrics().microAveragePrecision())).orElseThrow().getKey();
    Predictions predictions = PredictionsCsv.read(work.resolve("predictions").resolve(slug(best) + ".csv"));
    Function<String, Path> queries = ImageList.of(benchmark.resolve("query_images")).lookup();
    Function<String, Path> references = ImageList.of(benchmark.resolve("reference_images")).lookup();
    MatchGallery.writeErrors(work.resolve("report-errors.png"), best, predictions, truth, queries, references,
        ERRORS_SHOWN);
    MatchGallery.writeReport(work.resolve("report-matches.html"), null, best, predictions, truth, queries, references,
        ERRORS_SHOWN);
  }

  static String slug(String name) {
    return name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
  }

  private <T> T timed(String phase, java.util.function.Supplier<T> work) {
    long t0 = System.nanoTime();
    log.info("{}...", phase);
    T out = work.get();
    seconds.put(phase, (System.nanoTime() - t0) / 1e9);
    return out;
  }
}
