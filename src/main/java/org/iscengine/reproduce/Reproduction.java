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
import org.iscengine.data.MiniDiscBuilder;
import org.iscengine.data.TrainSetBuilder;
import org.iscengine.describe.ImageParts;
import org.iscengine.eval.GroupEvaluation;
import org.iscengine.match.PartMatching;
import org.iscengine.match.ScoreFusion;
import org.iscengine.train.ClassRecipe;
import org.iscengine.train.ClassTrainer;
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
 * local-feature geometry ({@link GeometricVerification}), and that last system fused (mean of
 * scores) with the thumbnail baseline taken relative to rank 10; the fusions over deep candidate
 * lists ({@link #FUSED_THREE_MARGIN}, {@link #FUSED_FOUR_MARGIN}, {@link #FUSED_FIVE_MARGIN}); with
 * a pretrained start, the pretrained network before training; and, as baselines without
 * learning, PDQ hashes (each query's 10 nearest references by Hamming distance, scored 1 -
 * distance / 256, {@link PdqMatcher}) and 16 x 16 grey thumbnails ({@link Thumbnail}, 10 nearest
 * by inner product), computed from the same query and reference images. Every step keeps its
 * output in the work folder and is skipped when that output is already there, so a stopped run
 * started again continues.
 *
 * <p>With a {@link ClassRecipe} ({@link #classTraining}) it reproduces the matching-track
 * winner's pipeline instead: class folders made from the training images ({@link TrainSetBuilder}),
 * class training ({@link ClassTrainer}), and as systems on the same queries: the untrained network,
 * the class-trained model alone, with score normalization against the training descriptors
 * (factor 2 on the mean of the 10 nearest), with multi-part matching ({@link ImageParts}: queries
 * as up to 14 parts, references as 19, each pair scored by its best part pair, {@link
 * PartMatching}), with both, and, when a descriptor-track model is given, that model with the
 * same score normalization and its fusion with the class-trained one ({@link ScoreFusion}, mean);
 * then the same two baselines. It also evaluates per kind of edit (the benchmark's
 * {@link MiniDiscBuilder#QUERY_EDITS}) with and without parts, and measures what the parts cost.
 */
public final class Reproduction {
  private static final Logger log = LoggerFactory.getLogger(Reproduction.class);
  private static final int NEIGHBOURS = 10;
  private static final int ERRORS_SHOWN = 12;
  private static final String PARTS_SUFFIX = "-parts";
  private static final String EXTRACT_PARTS = "extract trained, parts";

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
  static final String TRAINED_NES_RELATIVE_VERIFIED = "trained + DBA/NES, relative to rank 10, geometric"
      + " verification";
  private static final String THUMBNAIL_RELATIVE = "thumbnail 16×16, scores relative to rank 10";
  /** The learned descriptor and the thumbnail fail on different queries: their mean beats each (validation split). */
  static final String FUSED_WITH_THUMBNAIL = "trained + DBA/NES, relative to rank 10, geometric verification,"
      + " fused with the thumbnail relative to rank 10";
  /**
   * Candidates from all three (each query's 50 nearest by each), so that a copy one system ranks
   * low is still verified: the mean of their scores relative to rank 10, then geometric verification.
   */
  static final String FUSED_THREE_VERIFIED = "trained + DBA/NES, thumbnail and PDQ, 50 nearest by each, relative to"
      + " rank 10, fused, geometric verification";
  /**
   * Each query's pairs after verification relative to its second best: a copy stands out from the
   * query's other candidates, a look-alike seldom does (chosen on the validation split).
   */
  static final String FUSED_THREE_MARGIN = FUSED_THREE_VERIFIED + ", relative to rank 2";
  /**
   * The three-way fusion with a fourth member: each query described as parts (turned, centre
   * crops, proposed regions) against the whole references, each pair scored by its best part, so
   * that a small picture pasted into a query is found too (chosen on the validation split).
   */
  private static final String FUSED_FOUR_VERIFIED = "trained + DBA/NES, thumbnail, PDQ and the trained network's"
      + " query parts, 50 nearest by each, relative to rank 10, fused, geometric verification";
  static final String FUSED_FOUR_MARGIN = FUSED_FOUR_VERIFIED + ", relative to rank 2";
  /**
   * The four-way fusion with a fifth member: the same query parts against each reference and its
   * five crops of 2/3 ({@link ImageParts.Scheme#CROPS}), so that a query cropped to part of its
   * reference meets a part of about its own content (chosen on two validation splits).
   */
  private static final String FUSED_FIVE_VERIFIED = "trained + DBA/NES, thumbnail, PDQ, the trained network's query"
      + " parts against the references and against their crops, 50 nearest by each, relative to rank 10, fused,"
      + " geometric verification";
  static final String FUSED_FIVE_MARGIN = FUSED_FIVE_VERIFIED + ", relative to rank 2";
  /** Each query's nearest references by each system of {@link #FUSED_THREE_VERIFIED}. */
  private static final int CANDIDATES = 50;

  /** The descriptor-track model fused with the class-trained one (descriptors/descriptor-track/). */
  static final String DESCRIPTOR_TRACK = "descriptor-track";

  static final String CLASS_TRAINED = "class-trained";
  static final String CLASS_TRAINED_NORMALIZED = "class-trained + score normalization";
  static final String CLASS_TRAINED_PARTS = "class-trained, multi-part";
  static final String CLASS_TRAINED_PARTS_NORMALIZED = "class-trained, multi-part + score normalization";
  static final String DESCRIPTOR_TRACK_NORMALIZED = "descriptor-track model + score normalization";
  static final String ENSEMBLE = "ensemble: class-trained multi-part + descriptor-track, both score-normalized";

  /**
   * The class dataset built from the training images, as the recipe was tuned with it (60
   * classes of 8 images at 160 px, the winner's d2lv-big edits; benchmarks/RESULTS.md): the data
   * are fixed, the recipe's seed draws the weights and batches.
   */
  static final TrainSetBuilder.Options CLASS_SET = new TrainSetBuilder.Options(60, 8, "d2lv-big", 160, 0);

  /** The systems per edit kind is reported for: the class-trained model with and without parts, and PDQ. */
  static final List<String> PER_EDIT = List.of(CLASS_TRAINED, CLASS_TRAINED_PARTS, "PDQ (Hamming)");

  /** Which sides a system matches as parts (descriptors/MODEL-parts/): none, the queries, or both. */
  enum Parts { NONE, QUERIES, BOTH }

  /**
   * One compared system: its name, descriptors, post-processing, the rank its scores are taken
   * relative to (0: raw scores), whether its pairs are re-scored by geometric verification,
   * which sides it matches as parts, each query's nearest references searched (10; more for a
   * member of a fusion, which then keeps them all), and the systems it fuses or derives from
   * (none: a system of its own).
   */
  record Variant(String name, String model, PostProcessConfig postProcess, int relativeToRank, boolean verified,
      Parts parts, int candidates, List<Variant> fused) {
    Variant(String name, String model, PostProcessConfig postProcess) {
      this(name, model, postProcess, 0, false, Parts.NONE, NEIGHBOURS, List.of());
    }

    Variant(String name, String model, PostProcessConfig postProcess, int relativeToRank) {
      this(name, model, postProcess, relativeToRank, false, Parts.NONE, NEIGHBOURS, List.of());
    }

    Variant(String name, String model, PostProcessConfig postProcess, int relativeToRank, boolean verified) {
      this(name, model, postProcess, relativeToRank, verified, Parts.NONE, NEIGHBOURS, List.of());
    }

    static Variant parts(String name, String model, PostProcessConfig postProcess) {
      return new Variant(name, model, postProcess, 0, false, Parts.BOTH, NEIGHBOURS, List.of());
    }

    /** A member of a fusion: each query's candidates nearest references, scores relative to rank 10, all kept. */
    static Variant candidates(String model, PostProcessConfig postProcess, int candidates) {
      return new Variant(model + ", " + candidates + " nearest, relative to rank " + NEIGHBOURS, model, postProcess,
          NEIGHBOURS, false, Parts.NONE, candidates, List.of());
    }

    /** {@link #candidates} by the best part of each query against the whole references. */
    static Variant partCandidates(String model, PostProcessConfig postProcess, int candidates) {
      return new Variant(model + " parts, " + candidates + " nearest, relative to rank " + NEIGHBOURS, model,
          postProcess, NEIGHBOURS, false, Parts.QUERIES, candidates, List.of());
    }

    /** {@link #candidates} by the best pair of a query's parts and a reference's crops. */
    static Variant cropCandidates(String model, PostProcessConfig postProcess, int candidates) {
      return new Variant(model + " parts against reference crops, " + candidates + " nearest, relative to rank "
          + NEIGHBOURS, model, postProcess, NEIGHBOURS, false, Parts.BOTH, candidates, List.of());
    }

    /** The members' scores averaged pair by pair, then (verified) re-scored by geometric verification. */
    static Variant fusion(String name, List<Variant> members, boolean verified) {
      return new Variant(name, "fusion", PostProcessConfig.recipe("none"), 0, verified, Parts.NONE, NEIGHBOURS,
          List.copyOf(members));
    }

    /**
     * Pairs each query keeps when its scores are taken relative to the given rank: a member of a
     * fusion (more candidates than the report's 10) keeps them all, a system of its own ranks 1 ..
     * rank − 1.
     */
    int kept(int rank) {
      return candidates > NEIGHBOURS ? candidates : rank - 1;
    }

    /** Another system's pairs with each query's scores taken relative to its rank-th best. */
    static Variant relative(String name, Variant of, int rank) {
      return new Variant(name, "derived", PostProcessConfig.recipe("none"), rank, false, Parts.NONE, NEIGHBOURS,
          List.of(of));
    }
  }

  /** The metrics of a variant, and the seconds each phase took. */
  public record Outcome(Map<String, IscEvaluation.Result> results, Map<String, Double> seconds, Path report) {}

  /**
   * What multi-part matching costs, from the descriptor files and the timed searches: rows per
   * image on each side, the reference index's float32 bytes with and without parts, and the
   * seconds of describing and of searching (k nearest, post-processing excluded) both ways.
   */
  record PartsCost(double queryParts, double referenceParts, long indexBytes, long partIndexBytes,
      double describeSeconds, double partDescribeSeconds, double searchSeconds, double partSearchSeconds) {}

  /** The matching track's extra findings: metrics per edit kind and system, what parts cost, the ensemble's state. */
  record ClassTrackFindings(Map<String, Map<String, GroupEvaluation.Group>> perEdit, PartsCost partsCost,
      String ensembleNote) {}

  private final Path benchmark;
  private final Path work;
  private final Recipe recipe;
  private final ClassRecipe classRecipe;
  private final Path descriptorTrackModel;
  private final ComputeDevice device;
  private final int workers;
  private final Resources resources;
  private final Progress.Factory progress;
  private final PhaseTimes phases = new PhaseTimes();
  private final Map<String, Double> seconds = phases.seconds();
  private final Map<String, Double> searchSeconds = new LinkedHashMap<>();
  private final Map<String, Predictions> predictionsOf = new LinkedHashMap<>();
  /** One for the whole run: a pair that several fused systems list is verified once. */
  private final GeometricVerification verification = new GeometricVerification(GeometricVerification.Options.defaults());

  public Reproduction(Path benchmark, Path work, Recipe recipe, ComputeDevice device, int workers,
      Resources resources, Progress.Factory progress) {
    this(benchmark, work, recipe, null, null, device, workers, resources, progress);
  }

  private Reproduction(Path benchmark, Path work, Recipe recipe, ClassRecipe classRecipe, Path descriptorTrackModel,
      ComputeDevice device, int workers, Resources resources, Progress.Factory progress) {
    this.benchmark = benchmark;
    this.work = work;
    this.recipe = recipe;
    this.classRecipe = classRecipe;
    this.descriptorTrackModel = descriptorTrackModel;
    this.device = device;
    this.workers = workers;
    this.resources = resources;
    this.progress = progress;
  }

  /**
   * The matching-track reproduction: class training with this recipe, multi-part matching, score
   * normalization, and the ensemble with descriptorTrackModel when it is not null.
   */
  public static Reproduction classTraining(Path benchmark, Path work, ClassRecipe recipe, Path descriptorTrackModel,
      ComputeDevice device, int workers, Resources resources, Progress.Factory progress) {
    return new Reproduction(benchmark, work, null, recipe, descriptorTrackModel, device, workers, resources,
        progress);
  }

  /** The variants of the report; with a pretrained start, the pretrained network before training too. */
  static List<Variant> variants(boolean pretrained) {
    PostProcessConfig none = PostProcessConfig.recipe("none");
    PostProcessConfig nes = PostProcessConfig.recipe("lyakaap");
    PostProcessConfig nesScore = new PostProcessConfig(nes.normalize(), nes.pcaDimension(), nes.whiten(), nes.dbaK(),
        nes.dbaAlpha(), nes.nesK(), nes.nesBeta(), nes.nesIterations(), ScoreNormalization.sscd().toString());
    Variant verified = new Variant(TRAINED_NES_RELATIVE_VERIFIED, "trained", nes, NEIGHBOURS, true);
    Variant thumbnailRelative = new Variant(THUMBNAIL_RELATIVE, THUMBNAIL, none, NEIGHBOURS);
    List<Variant> threeMembers = List.of(Variant.candidates("trained", nes, CANDIDATES),
        Variant.candidates(THUMBNAIL, none, CANDIDATES), Variant.candidates(PDQ, none, CANDIDATES));
    Variant threeVerified = Variant.fusion(FUSED_THREE_VERIFIED, threeMembers, true);
    List<Variant> fourMembers = new java.util.ArrayList<>(threeMembers);
    fourMembers.add(Variant.partCandidates("trained", none, CANDIDATES));
    Variant fourVerified = Variant.fusion(FUSED_FOUR_VERIFIED, fourMembers, true);
    List<Variant> fiveMembers = new java.util.ArrayList<>(fourMembers);
    fiveMembers.add(Variant.cropCandidates("trained", none, CANDIDATES));
    Variant fiveVerified = Variant.fusion(FUSED_FIVE_VERIFIED, fiveMembers, true);
    List<Variant> variants = new java.util.ArrayList<>(List.of(new Variant(UNTRAINED_NETWORK, "untrained", none)));
    if (pretrained) {
      variants.add(new Variant(PRETRAINED_NETWORK, PRETRAINED, none));
    }
    variants.addAll(List.of(new Variant(TRAINED, "trained", none),
        new Variant(TRAINED_NES, "trained", nes),
        new Variant(TRAINED_NES + " + score normalization", "trained", nesScore),
        new Variant("untrained network, scores relative to rank 10", "untrained", none, NEIGHBOURS),
        new Variant(TRAINED_NES_RELATIVE, "trained", nes, NEIGHBOURS),
        verified, new Variant("PDQ (Hamming)", PDQ, none), new Variant("thumbnail 16×16", THUMBNAIL, none),
        thumbnailRelative, Variant.fusion(FUSED_WITH_THUMBNAIL, List.of(verified, thumbnailRelative), false),
        threeVerified, Variant.relative(FUSED_THREE_MARGIN, threeVerified, 2),
        Variant.relative(FUSED_FOUR_MARGIN, fourVerified, 2), Variant.relative(FUSED_FIVE_MARGIN, fiveVerified, 2)));
    return variants;
  }

  /**
   * The systems of the matching-track reproduction; with a descriptor-track model, that model
   * and the ensemble too. Score normalization is the winner's (2 x the mean of the 10 nearest
   * training descriptors), on unit descriptors without PCA, so that it is the only step added.
   */
  static List<Variant> classVariants(boolean ensemble) {
    PostProcessConfig none = PostProcessConfig.recipe("none");
    PostProcessConfig normalized = new PostProcessConfig(true, 0, false, 0, 3, 0, 0.35, 1,
        ScoreNormalization.d2lv().toString());
    Variant partsNormalized = Variant.parts(CLASS_TRAINED_PARTS_NORMALIZED, "trained", normalized);
    List<Variant> variants = new java.util.ArrayList<>(List.of(new Variant(UNTRAINED_NETWORK, "untrained", none),
        new Variant(CLASS_TRAINED, "trained", none), new Variant(CLASS_TRAINED_NORMALIZED, "trained", normalized),
        Variant.parts(CLASS_TRAINED_PARTS, "trained", none), partsNormalized));
    if (ensemble) {
      Variant descriptorTrack = new Variant(DESCRIPTOR_TRACK_NORMALIZED, DESCRIPTOR_TRACK, normalized);
      variants.add(descriptorTrack);
      variants.add(Variant.fusion(ENSEMBLE, List.of(partsNormalized, descriptorTrack), false));
    }
    variants.addAll(List.of(new Variant("PDQ (Hamming)", PDQ, none), new Variant("thumbnail 16×16", THUMBNAIL, none)));
    return variants;
  }

  /** What the report says each step adds: pairs of systems (before, after) that differ by one step. */
  static List<List<String>> steps() {
    return List.of(List.of(UNTRAINED_NETWORK, PRETRAINED_NETWORK), List.of(PRETRAINED_NETWORK, TRAINED),
        List.of(TRAINED, TRAINED_NES), List.of(TRAINED_NES, TRAINED_NES + " + score normalization"),
        List.of(TRAINED_NES, TRAINED_NES_RELATIVE), List.of(TRAINED_NES_RELATIVE, TRAINED_NES_RELATIVE_VERIFIED),
        List.of(TRAINED_NES_RELATIVE_VERIFIED, FUSED_WITH_THUMBNAIL),
        List.of(FUSED_WITH_THUMBNAIL, FUSED_THREE_VERIFIED), List.of(FUSED_THREE_VERIFIED, FUSED_THREE_MARGIN),
        List.of(FUSED_THREE_MARGIN, FUSED_FOUR_MARGIN), List.of(FUSED_FOUR_MARGIN, FUSED_FIVE_MARGIN),
        List.of(UNTRAINED_NETWORK, CLASS_TRAINED), List.of(CLASS_TRAINED, CLASS_TRAINED_NORMALIZED),
        List.of(CLASS_TRAINED, CLASS_TRAINED_PARTS), List.of(CLASS_TRAINED_PARTS, CLASS_TRAINED_PARTS_NORMALIZED),
        List.of(CLASS_TRAINED_PARTS_NORMALIZED, ENSEMBLE), List.of(DESCRIPTOR_TRACK_NORMALIZED, ENSEMBLE));
  }

  private boolean pretrainedStart() {
    return recipe != null && recipe.stages().get(0).pretrained() != null;
  }

  private boolean ensemble() {
    return classRecipe != null && descriptorTrackModel != null && Files.isRegularFile(descriptorTrackModel);
  }

  private List<Variant> variants() {
    return classRecipe != null ? classVariants(ensemble()) : variants(pretrainedStart());
  }

  public Outcome run() {
    try {
      Files.createDirectories(work);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + work + ": " + e.getMessage(), e);
    }
    Path trained = timed("train", () -> trainedOnce(classRecipe != null ? this::trainClasses : this::train));
    Path untrained = timed("untrained model", this::untrained);
    Map<String, Path> models = new LinkedHashMap<>();
    models.put("untrained", untrained);
    models.put("trained", trained);
    if (pretrainedStart()) {
      models.put(PRETRAINED, timed("pretrained model", this::pretrained));
    }
    if (ensemble()) {
      models.put(DESCRIPTOR_TRACK, descriptorTrackModel);
    }
    for (var m : models.entrySet()) {
      timed("extract " + m.getKey(), () -> {
        extract(m.getKey(), m.getValue(), ImageParts.Scheme.NONE, ImageParts.Scheme.NONE);
        return null;
      });
    }
    // The matching track tiles the references; the descriptor track's five-way fusion crops them.
    timed(EXTRACT_PARTS, () -> {
      extract("trained", trained, ImageParts.Scheme.QUERY, classRecipe != null ? ImageParts.Scheme.REFERENCE
          : ImageParts.Scheme.CROPS);
      return null;
    });
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
    for (Variant v : variants()) {
      results.put(v.name(), timed("evaluate " + v.name(), () -> evaluate(v, truth)));
    }
    Path report = classRecipe != null
        ? ReproductionReport.write(work, classRecipe, benchmark, results, seconds, device, findings(truth))
        : ReproductionReport.write(work, recipe, benchmark, results, seconds, device);
    PrCurvePlot.write(work.resolve("report-pr.png"), "mini-DISC: precision-recall of the compared systems", results);
    errors(results, truth);
    return new Outcome(results, seconds, report);
  }

  /** The model an earlier run of this work folder trained, or else the given training's, run in train/. */
  private Path trainedOnce(java.util.function.Function<Path, Path> training) {
    Path run = work.resolve("train");
    Path model = run.resolve("model.iscm");
    if (Files.exists(model)) {
      log.info("trained model found: {}", model);
      return model;
    }
    return training.apply(run);
  }

  private Path train(Path run) {
    TrainingData data = TrainingData.of(benchmark.resolve("training_images"), benchmark.resolve(
        "reference_images"), recipe.stages().stream().anyMatch(Stage::pairs) ? benchmark : null);
    Trainer trainer = new Trainer(recipe, data, resources, run, device, new Trainer.Options(workers, 50, null, 0),
        progress);
    return trainer.run(Files.exists(run.resolve("recipe.json"))).model();
  }

  /** Class folders made from the training images, then class training on them. */
  private Path trainClasses(Path run) {
    Path classes = work.resolve("classes");
    TrainSetBuilder.Result set = new TrainSetBuilder(CLASS_SET, resources, workers, progress)
        .build(ImageList.of(benchmark.resolve("training_images")).files(), classes);
    if (!set.failures().isEmpty()) {
      log.warn("{} classes could not be made: {}", set.failures().size(), set.failures().stream().limit(10).toList());
    }
    return new ClassTrainer(classRecipe, ClassTrainer.Classes.under(classes), run, device, progress).run().model();
  }

  /** The first stage's network with random weights only, drawn with the training's seed. */
  private Path untrained() {
    if (classRecipe != null) {
      Path file = work.resolve("untrained.iscm");
      if (!Files.exists(file)) {
        // The class trainer's own start: the same seed before the same constructor.
        org.bytedeco.pytorch.global.torch.manual_seed(classRecipe.seed());
        try (DescriptorModel model = new DescriptorModel(classRecipe.modelConfig())) {
          ModelFile.save(file, model, "random initialisation, seed " + classRecipe.seed());
        }
      }
      return file;
    }
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

  /**
   * Descriptors of a model in descriptors/NAME/SPLIT.h5; with parts, of the queries and the
   * references in descriptors/NAME-parts/. Whole references and the training images are read from
   * NAME/ (score normalization compares each part with the training images).
   */
  private void extract(String name, Path modelFile, ImageParts.Scheme queries, ImageParts.Scheme references) {
    boolean cut = queries != ImageParts.Scheme.NONE;
    Path dir = work.resolve("descriptors").resolve(cut ? name + PARTS_SUFFIX : name);
    List<String> splits = cut ? List.of("query", "reference") : List.of("query", "reference", "training");
    if (splits.stream().allMatch(split -> Files.exists(dir.resolve(split + ".h5")))) {
      return;
    }
    try (DescriptorModel model = ModelFile.load(modelFile)) {
      model.moveTo(device, ScalarType.Float);
      for (String split : splits) {
        Path out = dir.resolve(split + ".h5");
        if (Files.exists(out)) {
          continue;
        }
        Files.createDirectories(dir);
        ImageParts.Scheme scheme = split.equals("query") ? queries : split.equals("reference") ? references
            : ImageParts.Scheme.NONE;
        ExtractOptions options = new ExtractOptions(32, workers, org.iscengine.describe.Preprocess.Resize.SQUARE,
            new double[] {1.0}, false, 8192, scheme);
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
    Predictions predictions = predictions(v);
    predictionsOf.put(v.name(), predictions);
    Path csv = work.resolve("predictions").resolve(slug(v.name()) + ".csv");
    try {
      Files.createDirectories(csv.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    PredictionsCsv.write(csv, predictions);
    return IscEvaluation.evaluate(predictions, truth);
  }

  /**
   * A system's predictions: a fusion's or another system's (verified, each query's 10 best kept,
   * then relative to a rank), or each query's nearest references by one system, relative to a rank
   * and verified where the variant says so.
   */
  private Predictions predictions(Variant v) {
    if (!v.fused().isEmpty()) {
      Predictions combined = v.fused().size() == 1 ? memberPredictions(v.fused().get(0)) : fusedPredictions(v);
      Predictions best = Matcher.bestPerQuery(v.verified() ? verified(combined) : combined, NEIGHBOURS);
      int rank = Math.min(v.relativeToRank(), best.referenceIds().size());
      return rank >= 2 ? Matcher.relativeToRank(best, rank, NEIGHBOURS) : best;
    }
    Predictions nearest = v.model().equals(PDQ) ? pdqPredictions(v.candidates()) : descriptorPredictions(v);
    int k = Math.min(v.candidates(), nearest.referenceIds().size());
    if (v.relativeToRank() > 0 && k >= 2) {
      int rank = Math.min(v.relativeToRank(), k);
      nearest = Matcher.relativeToRank(nearest, rank, v.kept(rank));
    }
    return v.verified() ? verified(nearest) : nearest;
  }

  /**
   * The members' predictions fused pair by pair (weighted mean, equal weights: the members' scores
   * are normalized inner products or taken relative to a rank), every pair any member listed.
   */
  private Predictions fusedPredictions(Variant v) {
    List<Predictions> members = v.fused().stream().map(this::memberPredictions).toList();
    double[] weights = new double[members.size()];
    java.util.Arrays.fill(weights, 1.0);
    return ScoreFusion.fuse(members, weights, ScoreFusion.Rule.MEAN, 0);
  }

  /** A system's predictions as the report has them, or computed when it does not list that system. */
  private Predictions memberPredictions(Variant m) {
    return predictionsOf.containsKey(m.name()) ? predictionsOf.get(m.name()) : predictions(m);
  }

  /** The pairs re-scored by geometric verification between the benchmark's images (default settings). */
  private Predictions verified(Predictions predictions) {
    return verification.rescore(predictions,
        ImageList.of(benchmark.resolve("query_images")).lookup(),
        ImageList.of(benchmark.resolve("reference_images")).lookup(), progress);
  }

  /** Each query's nearest references by Hamming distance of the PDQ hashes. */
  private Predictions pdqPredictions(int candidates) {
    PdqCsv.Rows q = PdqCsv.read(work.resolve("hashes").resolve("query.csv"));
    PdqCsv.Rows r = PdqCsv.read(work.resolve("hashes").resolve("reference.csv"));
    return PdqMatcher.knn(q, r, Math.min(candidates, r.size()));
  }

  /**
   * Post-processed descriptors, each query's nearest references by inner product; with parts,
   * each query part's nearest reference parts, folded into image pairs (best part pair) of which
   * each query keeps as many as the variant's candidates.
   */
  private Predictions descriptorPredictions(Variant v) {
    Path whole = work.resolve("descriptors").resolve(v.model());
    Path dir = v.parts() != Parts.NONE ? work.resolve("descriptors").resolve(v.model() + PARTS_SUFFIX) : whole;
    Path references = (v.parts() == Parts.BOTH ? dir : whole).resolve("reference.h5");
    try (Descriptors q = DescriptorFiles.read(dir.resolve("query.h5"));
        Descriptors r = DescriptorFiles.read(references);
        Descriptors t = v.postProcess().needsTraining() ? DescriptorFiles.read(whole.resolve("training.h5")) : null;
        PostProcessor.Output processed = new PostProcessor(v.postProcess(), device).run(q, r, t)) {
      int k = Math.min(v.candidates(), processed.references().size());
      long t0 = System.nanoTime();
      Predictions predictions = new Matcher(Metric.INNER_PRODUCT).knn(processed.queries(), processed.references(), k);
      if (v.parts() != Parts.NONE) {
        predictions = Matcher.bestPerQuery(PartMatching.fold(predictions, 0), v.candidates());
      }
      searchSeconds.put(v.name(), (System.nanoTime() - t0) / 1e9);
      return predictions;
    }
  }

  /** Per-edit metrics, the cost of parts, and whether the ensemble ran, for the matching track's report. */
  private ClassTrackFindings findings(GroundTruth truth) {
    Map<String, Map<String, GroupEvaluation.Group>> perEdit = new LinkedHashMap<>();
    if (Files.exists(benchmark.resolve(MiniDiscBuilder.QUERY_EDITS))) {
      Map<String, List<String>> edits = MiniDiscBuilder.readQueryEdits(benchmark);
      for (String system : PER_EDIT) {
        perEdit.put(system, GroupEvaluation.evaluate(predictionsOf.get(system), truth, edits));
      }
    }
    Path descriptors = work.resolve("descriptors");
    long indexBytes;
    long partIndexBytes;
    PartMatching.Cost cost;
    try (Descriptors r = DescriptorFiles.read(descriptors.resolve("trained/reference.h5"));
        Descriptors rp = DescriptorFiles.read(descriptors.resolve("trained" + PARTS_SUFFIX + "/reference.h5"));
        Descriptors qp = DescriptorFiles.read(descriptors.resolve("trained" + PARTS_SUFFIX + "/query.h5"))) {
      indexBytes = (long) r.size() * r.dim() * Float.BYTES;
      partIndexBytes = (long) rp.size() * rp.dim() * Float.BYTES;
      cost = PartMatching.cost(qp.ids(), rp.ids());
    }
    PartsCost partsCost = new PartsCost(cost.queryParts(), cost.referenceParts(), indexBytes, partIndexBytes,
        seconds.getOrDefault("extract trained", Double.NaN), seconds.getOrDefault(EXTRACT_PARTS, Double.NaN),
        searchSeconds.getOrDefault(CLASS_TRAINED, Double.NaN),
        searchSeconds.getOrDefault(CLASS_TRAINED_PARTS, Double.NaN));
    String ensembleNote = ensemble() ? "fused with the descriptor-track model " + descriptorTrackModel
        : "not computed: no descriptor-track model at " + (descriptorTrackModel == null ? "(none given)"
            : descriptorTrackModel) + "; run `isc reproduce --preset mini` first (or give --ensemble-with FILE), then"
            + " this again: the finished steps are kept";
    return new ClassTrackFindings(perEdit, partsCost, ensembleNote);
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

  private <T> T timed(String phase, java.util.function.Supplier<T> step) {
    return phases.timed(phase, step);
  }
}
