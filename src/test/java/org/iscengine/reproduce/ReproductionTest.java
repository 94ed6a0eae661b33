package org.iscengine.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.augment.Resources;
import org.iscengine.data.MiniDiscBuilder;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.descriptor.PostProcessConfig;
import org.iscengine.descriptor.PostProcessor;
import org.iscengine.eval.GroundTruth;
import org.iscengine.eval.GroupEvaluation;
import org.iscengine.hash.PdqCsv;
import org.iscengine.hash.PdqHasher;
import org.iscengine.hash.PdqMatcher;
import org.iscengine.hash.Thumbnail;
import org.iscengine.image.Images;
import org.iscengine.kernels.Metric;
import org.iscengine.match.GeometricVerification;
import org.iscengine.match.Matcher;
import org.iscengine.match.PartMatching;
import org.iscengine.match.Predictions;
import org.iscengine.match.PredictionsCsv;
import org.iscengine.match.ScoreFusion;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelFile;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TestImages;
import org.iscengine.train.ClassRecipe;
import org.iscengine.train.Recipe;
import org.iscengine.train.Stage;
import org.iscengine.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole chain on a tiny generated benchmark in the DISC21 layout. */
class ReproductionTest {
  @TempDir Path dir;

  /** 16 training images, 6 references, 6 queries of which 3 are mirrored copies, with ground truth. */
  private Path tinyBenchmark(long seed) throws Exception {
    Path bench = dir.resolve("bench");
    Path train = Files.createDirectories(bench.resolve("training_images"));
    Path refs = Files.createDirectories(bench.resolve("reference_images"));
    Path queries = Files.createDirectories(bench.resolve("query_images"));
    for (int i = 0; i < 16; i++) {
      try (Mat m = TestImages.natural(seed + i, 96, 80)) {
        Images.write(train.resolve(String.format("T%06d.jpg", i)), m, 90);
      }
    }
    StringBuilder truth = new StringBuilder("query_id,reference_id\n");
    for (int i = 0; i < 6; i++) {
      try (Mat r = TestImages.natural(seed + 100 + i, 90, 90);
          Mat q = i < 3 ? new Mat() : TestImages.natural(seed + 200 + i, 90, 90)) {
        Images.write(refs.resolve(String.format("R%06d.jpg", i)), r, 90);
        if (i < 3) {
          opencv_core.flip(r, q, 1);  // a mirrored copy
        }
        Images.write(queries.resolve(String.format("Q%05d.jpg", i)), q, 90);
      }
      truth.append(String.format("Q%05d,%s%n", i, i < 3 ? String.format("R%06d", i) : ""));
    }
    Files.writeString(bench.resolve("ground_truth.csv"), truth);
    return bench;
  }

  @Test
  void trainsDescribesEvaluatesAndReportsEveryVariantAndTheBaselines() throws Exception {
    long seed = RandomTensors.freshSeed();
    Path bench = tinyBenchmark(seed);
    Path refs = bench.resolve("reference_images");
    Path queries = bench.resolve("query_images");
    Stage stage = Stage.builder().name("s").architecture("resnet18").inputSize(64).dimension(16).gemP(3.0)
        .views(List.of("moderate", "lyakaap-v83")).batchSize(8).epochs(1).lr(0.01).momentum(0.9).gradClip(5)
        .memorySize(64).negMargin(1).build();
    Path work = dir.resolve("work");
    Reproduction.Outcome outcome = new Reproduction(bench, work, new Recipe("t", 3, List.of(stage)),
        ComputeDevice.CPU, 2, Resources.local(), Progress.none()).run();

    List<String> systems = Reproduction.variants(false).stream().map(Reproduction.Variant::name).toList();
    assertEquals(systems, List.copyOf(outcome.results().keySet()));
    String md = Files.readString(outcome.report());
    for (String s : systems) {
      assertTrue(md.contains("| " + s + " | "), s + " in\n" + md);
    }
    // Each one-step difference is spelled out, with its sign, from the same figures as the table.
    double trained = outcome.results().get("trained").metrics().microAveragePrecision();
    double nes = outcome.results().get("trained + DBA/NES").metrics().microAveragePrecision();
    String step = String.format(java.util.Locale.ROOT, "- trained → trained + DBA/NES: %.4f → %.4f (%s%.4f, %s)",
        trained, nes, nes >= trained ? "+" : "", nes - trained, nes > trained ? "adds" : "does not add");
    assertTrue(md.contains(step), step + " in\n" + md);
    assertTrue(!md.contains("pretrained network →"), "no pretrained start, no such step");
    JsonNode json = new ObjectMapper().readTree(work.resolve("report.json").toFile());
    for (String s : systems) {
      double uap = json.at("/results/" + s.replace("/", "~1") + "/microAveragePrecision").asDouble(-1);
      assertTrue(uap >= 0 && uap <= 1, s + ": " + uap);
    }
    assertTrue(Files.size(work.resolve("report-pr.png")) > 1000);
    assertTrue(Files.size(work.resolve("report-errors.png")) > 1000);
    assertTrue(Files.readString(work.resolve("report-matches.html")).contains("top-scoring pairs</h2>"));
    assertTrue(md.contains("(report-matches.html)"), md);
    assertTrue(Files.size(work.resolve("train").resolve("loss.png")) > 1000);
    assertTrue(Files.exists(work.resolve("descriptors/trained/query.h5")));
    assertTrue(Files.exists(work.resolve("predictions").resolve(Reproduction.slug(systems.get(3)) + ".csv")));

    // The fused system: its two members' scores averaged pair by pair, each query's 10 best kept.
    Path predictions = work.resolve("predictions");
    Predictions fused = PredictionsCsv.read(predictions.resolve(Reproduction.slug(Reproduction.FUSED_WITH_THUMBNAIL)
        + ".csv"));
    Predictions expected = Matcher.bestPerQuery(ScoreFusion.fuse(List.of(
        PredictionsCsv.read(predictions.resolve(Reproduction.slug(Reproduction.TRAINED_NES_RELATIVE_VERIFIED) + ".csv")),
        PredictionsCsv.read(predictions.resolve("thumbnail-16-16-scores-relative-to-rank-10.csv"))),
        new double[] {1, 1}, ScoreFusion.Rule.MEAN, 0), 10);
    assertTrue(fused.size() > 0);
    assertEquals(expected.size(), fused.size());
    for (int i = 0; i < fused.size(); i++) {
      assertEquals(expected.queryId(i) + " " + expected.referenceId(i), fused.queryId(i) + " " + fused.referenceId(i));
      assertEquals(expected.score(i), fused.score(i), 1e-6);
    }

    // The three-way system: the mean of trained + DBA/NES, thumbnail and PDQ scores relative to rank 10
    // over each one's nearest references (here all 6), each pair then gaining at most the verification's
    // weight; every query keeps all 6 candidates (at most 10).
    Predictions three = PredictionsCsv.read(predictions.resolve(Reproduction.slug(Reproduction.FUSED_THREE_VERIFIED)
        + ".csv"));
    Predictions trainedDeep;
    try (Descriptors q = DescriptorFiles.read(work.resolve("descriptors/trained/query.h5"));
        Descriptors r = DescriptorFiles.read(work.resolve("descriptors/trained/reference.h5"));
        Descriptors t = DescriptorFiles.read(work.resolve("descriptors/trained/training.h5"));
        PostProcessor.Output o = new PostProcessor(PostProcessConfig.recipe("lyakaap"), ComputeDevice.CPU).run(q, r, t)) {
      trainedDeep = Matcher.relativeToRank(new Matcher(Metric.INNER_PRODUCT).knn(o.queries(), o.references(), 6), 6, 50);
    }
    Predictions thumbnailDeep;
    try (Descriptors q = DescriptorFiles.read(work.resolve("descriptors/thumbnail/query.h5"));
        Descriptors r = DescriptorFiles.read(work.resolve("descriptors/thumbnail/reference.h5"))) {
      thumbnailDeep = Matcher.relativeToRank(new Matcher(Metric.INNER_PRODUCT).knn(q, r, 6), 6, 50);
    }
    Predictions pdqDeep = Matcher.relativeToRank(PdqMatcher.knn(PdqCsv.read(work.resolve("hashes/query.csv")),
        PdqCsv.read(work.resolve("hashes/reference.csv")), 6), 6, 50);
    Predictions mean = ScoreFusion.fuse(List.of(trainedDeep, thumbnailDeep, pdqDeep), new double[] {1, 1, 1},
        ScoreFusion.Rule.MEAN, 0);
    Map<String, Float> meanOf = scoresByPair(mean);
    assertEquals(6 * 6, three.size());
    double weight = GeometricVerification.Options.defaults().weight();
    for (int i = 0; i < three.size(); i++) {
      String pair = three.queryId(i) + " " + three.referenceId(i);
      double gain = three.score(i) - meanOf.get(pair);
      assertTrue(gain > -1e-5 && gain < weight + 1e-5, pair + " gained " + gain);
    }
    // Then each query's scores relative to its second best: the same pairs, the best alone above 0.
    Predictions margin = PredictionsCsv.read(predictions.resolve(Reproduction.slug(Reproduction.FUSED_THREE_MARGIN)
        + ".csv"));
    assertSameScores(Matcher.relativeToRank(three, 2, 10), margin, 1e-6);

    // The four-way system: the three members and each query's best part against the whole references;
    // the five-way system adds each query's best part against the references' crops (the whole
    // reference and its 5 crops of 2/3). Both verify the same pairs with the same gains as the
    // three-way system, then take each query's scores relative to its second best.
    Predictions partsDeep;
    Predictions cropsDeep;
    try (Descriptors qp = DescriptorFiles.read(work.resolve("descriptors/trained-parts/query.h5"));
        Descriptors rp = DescriptorFiles.read(work.resolve("descriptors/trained-parts/reference.h5"));
        Descriptors r = DescriptorFiles.read(work.resolve("descriptors/trained/reference.h5"))) {
      assertTrue(qp.size() > 6 * 4, "queries described as parts: " + qp.size());
      assertEquals(List.of("R000000", "R000001", "R000002", "R000003", "R000004", "R000005"), r.ids());
      assertEquals(6 * 6, rp.size(), "each reference and its 5 crops");
      assertEquals(List.of("R000003#0", "R000003#5"), List.of(rp.ids().get(18), rp.ids().get(23)));
      partsDeep = Matcher.relativeToRank(Matcher.bestPerQuery(PartMatching.fold(
          new Matcher(Metric.INNER_PRODUCT).knn(qp, r, 6), 0), 50), 6, 50);
      cropsDeep = Matcher.relativeToRank(Matcher.bestPerQuery(PartMatching.fold(
          new Matcher(Metric.INNER_PRODUCT).knn(qp, rp, 6 * 6), 0), 50), 6, 50);
    }
    Map<String, Float> gainOf = new java.util.HashMap<>();
    for (int i = 0; i < three.size(); i++) {
      String pair = three.queryId(i) + " " + three.referenceId(i);
      gainOf.put(pair, three.score(i) - meanOf.get(pair));
    }
    List<Predictions> fourMembers = List.of(trainedDeep, thumbnailDeep, pdqDeep, partsDeep);
    assertSameScores(verifiedMargin(fourMembers, gainOf), PredictionsCsv.read(predictions.resolve(
        Reproduction.slug(Reproduction.FUSED_FOUR_MARGIN) + ".csv")), 1e-5);
    List<Predictions> fiveMembers = List.of(trainedDeep, thumbnailDeep, pdqDeep, partsDeep, cropsDeep);
    assertSameScores(verifiedMargin(fiveMembers, gainOf), PredictionsCsv.read(predictions.resolve(
        Reproduction.slug(Reproduction.FUSED_FIVE_MARGIN) + ".csv")), 1e-5);

    // The baselines are systems of the report, computed from the same query and reference images.
    assertTrue(systems.containsAll(List.of("PDQ (Hamming)", "thumbnail 16×16")), systems.toString());
    assertTrue(md.contains("PDQ (Hamming)") && md.contains("1 - d/256"), md);
    PdqCsv.Rows queryHashes = PdqCsv.read(work.resolve("hashes/query.csv"));
    assertEquals(6, queryHashes.size());
    assertEquals(PdqHasher.hash(queries.resolve("Q00004.jpg")), queryHashes.hashes().get(4));
    assertEquals(6, PdqCsv.read(work.resolve("hashes/reference.csv")).size());
    try (Descriptors thumbs = DescriptorFiles.read(work.resolve("descriptors/thumbnail/reference.h5"))) {
      assertEquals(Thumbnail.DIMENSION, thumbs.dim());
      assertEquals(List.of("R000000", "R000001", "R000002", "R000003", "R000004", "R000005"), thumbs.ids());
    }
    Predictions pdq = PredictionsCsv.read(work.resolve("predictions").resolve(Reproduction.slug("PDQ (Hamming)")
        + ".csv"));
    assertEquals(6 * 6, pdq.size());  // 10 nearest, capped at the 6 references
    for (int i = 0; i < pdq.size(); i++) {
      int distance = PdqMatcher.distance(pdq.score(i));
      assertEquals(1f - distance / 256f, pdq.score(i), 0f);
      String query = pdq.queryId(i);
      assertEquals(queryHashes.hashes().get(queryHashes.ids().indexOf(query)).distance(PdqHasher.hash(refs.resolve(
          pdq.referenceId(i) + ".jpg"))), distance);
    }
    assertEquals(6 * 6, PredictionsCsv.read(work.resolve("predictions").resolve(Reproduction.slug("thumbnail 16×16")
        + ".csv")).size());
    assertTrue(outcome.seconds().containsKey("PDQ hashes") && outcome.seconds().containsKey("thumbnails"));

    // Started again: every step's output is there, so nothing is trained or described again.
    long modelTime = Files.getLastModifiedTime(work.resolve("train/model.iscm")).toMillis();
    long hashTime = Files.getLastModifiedTime(work.resolve("hashes/query.csv")).toMillis();
    long thumbTime = Files.getLastModifiedTime(work.resolve("descriptors/thumbnail/query.h5")).toMillis();
    Reproduction.Outcome again = new Reproduction(bench, work, new Recipe("t", 3, List.of(stage)),
        ComputeDevice.CPU, 2, Resources.local(), Progress.none()).run();
    assertEquals(modelTime, Files.getLastModifiedTime(work.resolve("train/model.iscm")).toMillis());
    assertEquals(outcome.results().get(systems.get(1)).metrics(), again.results().get(systems.get(1)).metrics());
    assertEquals(hashTime, Files.getLastModifiedTime(work.resolve("hashes/query.csv")).toMillis());
    assertEquals(thumbTime, Files.getLastModifiedTime(work.resolve("descriptors/thumbnail/query.h5")).toMillis());
    for (String baseline : List.of("PDQ (Hamming)", "thumbnail 16×16")) {
      assertEquals(outcome.results().get(baseline).metrics(), again.results().get(baseline).metrics(), baseline);
    }
  }

  @Test
  void theMatchingTrackReportsPartsScoreNormalizationTheEnsembleAndEachEdit() throws Exception {
    long seed = RandomTensors.freshSeed();
    Path bench = tinyBenchmark(seed);
    // Which edits made each query, as mini-DISC records them: the copies are mirrored, one also cropped.
    Files.writeString(bench.resolve(MiniDiscBuilder.QUERY_EDITS), "query_id,edits\nQ00000,flip\nQ00001,flip+crop\n"
        + "Q00002,flip\nQ00003,crop\nQ00004,text\nQ00005,flip\n");
    // A descriptor-track model to fuse with: any saved network of another architecture will do.
    Stage other = Stage.builder().name("s").architecture("resnet18").inputSize(48).dimension(24).gemP(3.0)
        .views(List.of("moderate", "lyakaap-v83")).batchSize(8).epochs(1).lr(0.01).momentum(0.9).gradClip(5)
        .memorySize(64).negMargin(1).build();
    Path descriptorTrack = dir.resolve("descriptor-track.iscm");
    try (DescriptorModel m = Trainer.startingModel(other, seed, false)) {
      ModelFile.save(descriptorTrack, m, "test");
    }
    ClassRecipe recipe = new ClassRecipe("tiny-classes", 5, "resnet18", 48, "fc-bn", 16, 3.0, 2, 2, 3, 0.01, 1, 0.9,
        1e-4, 0.1, 10, 1, 2, 20, 0.1, 0.2, 5);
    Path work = dir.resolve("classes-work");
    Reproduction.Outcome outcome = Reproduction.classTraining(bench, work, recipe, descriptorTrack, ComputeDevice.CPU,
        2, Resources.local(), Progress.none()).run();

    List<String> systems = Reproduction.classVariants(true).stream().map(Reproduction.Variant::name).toList();
    assertEquals(systems, List.copyOf(outcome.results().keySet()));
    assertEquals(List.of("untrained network", "class-trained", "class-trained + score normalization",
        "class-trained, multi-part", "class-trained, multi-part + score normalization",
        "descriptor-track model + score normalization",
        "ensemble: class-trained multi-part + descriptor-track, both score-normalized", "PDQ (Hamming)",
        "thumbnail 16×16"), systems);
    String md = Files.readString(outcome.report());
    for (String s : systems) {
      assertTrue(md.contains("| " + s + " | "), s + " in\n" + md);
    }
    assertTrue(md.contains("recipe `tiny-classes` (seed 5)"), md);
    assertTrue(md.contains("- class-trained → class-trained, multi-part: "), md);
    assertTrue(md.contains("fused with the descriptor-track model"), md);
    assertTrue(Files.exists(work.resolve("classes/000015/07.jpg")), "16 classes of 8 images from the training images");
    assertTrue(Files.exists(work.resolve("train/model.iscm")));

    // Parts: up to 14 rows per query, 19 per reference; the image pairs folded from them, at most 10 per query.
    try (Descriptors qp = DescriptorFiles.read(work.resolve("descriptors/trained-parts/query.h5"));
        Descriptors rp = DescriptorFiles.read(work.resolve("descriptors/trained-parts/reference.h5"))) {
      assertEquals(6 * 19, rp.size());
      assertTrue(qp.size() >= 6 * 10 && qp.size() <= 6 * 14, "query parts: " + qp.size());
      assertTrue(rp.ids().contains("R000003#18") && qp.ids().contains("Q00002#0"), rp.ids().toString());
    }
    Predictions parts = PredictionsCsv.read(work.resolve("predictions").resolve(Reproduction.slug(
        "class-trained, multi-part") + ".csv"));
    assertTrue(parts.size() >= 6 && parts.size() <= 6 * 6, "image pairs: " + parts.size());
    for (int i = 0; i < parts.size(); i++) {
      assertTrue(!parts.queryId(i).contains("#") && !parts.referenceId(i).contains("#"), parts.queryId(i));
    }
    Predictions fused = PredictionsCsv.read(work.resolve("predictions").resolve(Reproduction.slug(
        "ensemble: class-trained multi-part + descriptor-track, both score-normalized") + ".csv"));
    assertTrue(fused.size() >= parts.size() && fused.size() <= 6 * 6, "fused pairs: " + fused.size());

    // Per edit: each edit's μAP, with and without parts, is that of its queries alone.
    GroundTruth truth = GroundTruth.read(bench.resolve("ground_truth.csv"));
    Map<String, List<String>> edits = MiniDiscBuilder.readQueryEdits(bench);
    Map<String, GroupEvaluation.Group> whole = GroupEvaluation.evaluate(PredictionsCsv.read(work.resolve(
        "predictions").resolve(Reproduction.slug("class-trained") + ".csv")), truth, edits);
    Map<String, GroupEvaluation.Group> withParts = GroupEvaluation.evaluate(parts, truth, edits);
    assertEquals(List.of("crop", "flip", "text"), List.copyOf(whole.keySet()));
    assertEquals(4, whole.get("flip").queries());
    assertEquals(3, whole.get("flip").copies());
    for (String edit : whole.keySet()) {
      double a = whole.get(edit).metrics().microAveragePrecision();
      double b = withParts.get(edit).metrics().microAveragePrecision();
      String row = String.format(java.util.Locale.ROOT, "| %s | %d | %d | %.4f | %.4f |", edit,
          whole.get(edit).queries(), whole.get(edit).copies(), a, b);
      assertTrue(md.contains(row), row + " in\n" + md);
    }
    JsonNode json = new ObjectMapper().readTree(work.resolve("report.json").toFile());
    assertEquals(whole.get("flip").metrics().microAveragePrecision(),
        json.at("/perEdit/class-trained/flip/metrics/microAveragePrecision").asDouble(), 1e-12);

    // What parts cost: rows per image, the index's bytes and the timed searches.
    assertEquals(19.0, json.at("/parts/referenceParts").asDouble(), 0.0);
    assertEquals(6L * 16 * 4, json.at("/parts/indexBytes").asLong());
    assertEquals(6L * 19 * 16 * 4, json.at("/parts/partIndexBytes").asLong());
    assertTrue(json.at("/parts/partSearchSeconds").asDouble() > 0);
    assertTrue(md.contains("| rows per reference | 1 | 19.00 | 19.00× |"), md);

    // Without a descriptor-track model the report says how to get the ensemble, and lists the rest.
    Reproduction.Outcome alone = Reproduction.classTraining(bench, work, recipe, dir.resolve("absent.iscm"),
        ComputeDevice.CPU, 2, Resources.local(), Progress.none()).run();
    assertEquals(Reproduction.classVariants(false).stream().map(Reproduction.Variant::name).toList(),
        List.copyOf(alone.results().keySet()));
    assertEquals(outcome.results().get("class-trained, multi-part").metrics(),
        alone.results().get("class-trained, multi-part").metrics());
    assertTrue(Files.readString(alone.report()).contains("run `isc reproduce --preset mini` first"));
  }

  /** Each pair's score, keyed "query reference". */
  private static Map<String, Float> scoresByPair(Predictions p) {
    Map<String, Float> scores = new java.util.HashMap<>();
    for (int i = 0; i < p.size(); i++) {
      scores.put(p.queryId(i) + " " + p.referenceId(i), p.score(i));
    }
    return scores;
  }

  /**
   * What a fusion over deep lists gives: the members' mean pair by pair, each pair raised by its
   * verification gain, each query's 10 best, then relative to its second best.
   */
  private static Predictions verifiedMargin(List<Predictions> members, Map<String, Float> gainOf) {
    double[] weights = new double[members.size()];
    java.util.Arrays.fill(weights, 1);
    Predictions mean = ScoreFusion.fuse(members, weights, ScoreFusion.Rule.MEAN, 0);
    float[] verified = new float[mean.size()];
    int[] q = new int[mean.size()];
    int[] r = new int[mean.size()];
    for (int i = 0; i < mean.size(); i++) {
      verified[i] = mean.score(i) + gainOf.get(mean.queryId(i) + " " + mean.referenceId(i));
      q[i] = mean.queryIndex(i);
      r[i] = mean.referenceIndex(i);
    }
    return Matcher.relativeToRank(Matcher.bestPerQuery(new Predictions(mean.queryIds(), mean.referenceIds(), q, r,
        verified), 10), 2, 10);
  }

  /** The same pairs with the same scores, in any order. */
  private static void assertSameScores(Predictions expected, Predictions actual, double tolerance) {
    assertEquals(expected.size(), actual.size());
    Map<String, Float> actualOf = scoresByPair(actual);
    for (int i = 0; i < expected.size(); i++) {
      String pair = expected.queryId(i) + " " + expected.referenceId(i);
      assertEquals(expected.score(i), actualOf.get(pair), tolerance, pair);
    }
  }
}
