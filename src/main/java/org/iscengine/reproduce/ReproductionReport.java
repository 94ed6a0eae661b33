package org.iscengine.reproduce;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.iscengine.data.TrainSetBuilder;
import org.iscengine.eval.GroupEvaluation;
import org.iscengine.eval.IscEvaluation;
import org.iscengine.eval.IscMetrics;
import org.iscengine.eval.RevisitedEvaluation;
import org.iscengine.eval.RevisitedEvaluation.Protocol;
import org.iscengine.eval.RevisitedEvaluation.ProtocolMetrics;
import org.iscengine.io.AtomicFile;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.runtime.Versions;
import org.iscengine.train.ClassRecipe;
import org.iscengine.train.InsClrRecipe;
import org.iscengine.train.InsClrStage;
import org.iscengine.train.InsClrTrainer;
import org.iscengine.train.Recipe;
import org.iscengine.train.Stage;

/** report.md and report.json of a reproduction: the compared systems' metrics and where the time went. */
final class ReproductionReport {
  private ReproductionReport() {}

  private static final String DESCRIPTOR_TRACK_INTRO = "Matching:"
      + " the 10 nearest references of each query by inner product; metrics of the ISC21 challenge"
      + " (μAP over all predictions, distractor queries included). *Scores relative to rank 10*: each query's"
      + " scores minus its 10th best, ranks 1-9 kept (`isc match --relative-to-rank 10`). *Geometric"
      + " verification*: each of those pairs re-scored by ORB matches and a RANSAC similarity between the two"
      + " images (`isc match --verify`, default settings). *Fused*: the weighted mean of the systems' scores"
      + " pair by pair (`isc ensemble --rule mean`, equal weights; a pair a system did not list counts its lowest"
      + " score for that query), each query's 10 best kept; the three-way fusion takes each query's 50 nearest"
      + " references by the trained descriptor (+ DBA/NES), the thumbnail and PDQ, each relative to its 10th,"
      + " verifies every pair any of them listed, and last takes each query's scores relative to its second best,"
      + " so that a query's best pair scores by how far it stands out; the four-way fusion adds a fourth list, each"
      + " query described as up to 14 parts (`isc extract --parts query`) against the whole references, each pair"
      + " scored by its best part; the five-way fusion adds a fifth list, the same query parts against each"
      + " reference and its 5 crops of 2/3 (`isc extract --parts crops`), each pair scored by its best part pair."
      + " *Untrained network*: the architecture's"
      + " random weights; *pretrained network*: the pretrained backbone and the random head the training starts from."
      + " Baselines without"
      + " learning, from the same query and reference images: *PDQ (Hamming)*, Facebook's 256-bit perceptual hash"
      + " (`isc hash`), the 10 nearest references by Hamming distance d, score 1 - d/256 (257 possible scores, so"
      + " many ties, which the metric counts false positives first); *thumbnail 16×16*, the image's luminance"
      + " area-resampled to 16×16, zero-mean, L2-normalised, by inner product.\n\n";

  private static final String MATCHING_TRACK_INTRO = "The matching-track winner's pipeline at mini scale. Matching:"
      + " the 10 nearest references of each query by inner product; metrics of the ISC21 challenge (μAP over all"
      + " predictions, distractor queries included). *Class-trained*: the network after class training (below),"
      + " its unit descriptors. *Score normalization*: each query's scores lowered by 2 × the mean of its"
      + " similarities to its 10 nearest training descriptors (`isc match` after post-processing with"
      + " `scoreNormalization: 2.0[0,9]`, the winner's factor 2 and n 10). *Multi-part*: each query described as up"
      + " to 14 parts (the image, turned by 90/180/270°, its centre at 3/4 and 1/2, turned back by 15° and"
      + " 30° either way, up to 4 regions of selective search) and each reference as 19 (the image, its 2×2"
      + " and 3×3 tiles, 5 crops of 2/3), a pair scoring as its best part pair (`isc extract --parts`, `isc"
      + " match --parts`); each query part's 10 nearest reference parts, folded into image pairs, each"
      + " query's 10 best kept. *Descriptor-track model*: the `mini` recipe's"
      + " trained model (`isc reproduce --preset mini`) on whole images, with the same score normalization"
      + " against its own training descriptors; the *ensemble* is the weighted mean of the two normalized systems'"
      + " scores pair by pair (`isc ensemble --rule mean`, equal weights; a pair one system did not list counts its"
      + " lowest score for that query), each query's 10 best kept. *Untrained network*: the architecture's random"
      + " weights. Baselines without learning, from the same query and reference images: *PDQ (Hamming)*,"
      + " Facebook's 256-bit perceptual hash, the 10 nearest references by Hamming distance d, score 1 - d/256;"
      + " *thumbnail 16×16*, the image's luminance area-resampled to 16×16, zero-mean, L2-normalised, by inner"
      + " product.\n\n";

  /** The descriptor-track reproduction's report. */
  static Path write(Path work, Recipe recipe, Path benchmark, Map<String, IscEvaluation.Result> results,
      Map<String, Double> seconds, ComputeDevice device) {
    StringBuilder training = new StringBuilder("| stage | architecture | input | dim | batch | epochs | lr | schedule"
        + " | memory |\n|---|---|---:|---:|---:|---:|---:|---|---:|\n");
    for (Stage s : recipe.stages()) {
      training.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %d | %.3g | %s | %d |%n", s.name(),
          s.architecture(), s.inputSize(), s.dimension(), s.batchSize(), s.epochs(), s.lr(), s.schedule(),
          s.memorySize()));
    }
    return write(work, recipe.name(), recipe.seed(), DESCRIPTOR_TRACK_INTRO, training.toString(), benchmark, results,
        seconds, device, null);
  }

  /** The matching-track reproduction's report: the systems, then per edit kind, then what parts cost. */
  static Path write(Path work, ClassRecipe recipe, Path benchmark, Map<String, IscEvaluation.Result> results,
      Map<String, Double> seconds, ComputeDevice device, Reproduction.ClassTrackFindings findings) {
    TrainSetBuilder.Options set = Reproduction.CLASS_SET;
    String training = String.format(Locale.ROOT, "Class training (`isc train-classes`): %d classes of %d images (the"
        + " training image and %d `%s` copies at %d px, `isc data train-set`, seed %d), then:%n%n"
        + "| architecture | input | head | dim | GeM p | P × K | steps | lr | warm-up | loss |%n"
        + "|---|---:|---|---:|---:|---|---:|---:|---:|---|%n"
        + "| %s | %d | %s | %d | %.1f | %d × %d | %d | %.3g | %d |"
        + " %.0f × label-smoothed CE (%.2f) + %.0f × SoftTriple |%n", set.classes(), set.copies(), set.copies() - 1,
        set.preset(), set.size(), set.seed(),
        recipe.architecture(), recipe.inputSize(), recipe.head(), recipe.dimension(), recipe.gemP(),
        recipe.classesPerBatch(), recipe.perClass(), recipe.steps(), recipe.lr(), recipe.warmupSteps(),
        recipe.ceWeight(), recipe.labelSmoothing(), recipe.tripleWeight());
    return write(work, recipe.name(), recipe.seed(), MATCHING_TRACK_INTRO, training, benchmark, results, seconds,
        device, findings);
  }

  private static Path write(Path work, String recipeName, long seed, String intro, String trainingTable,
      Path benchmark, Map<String, IscEvaluation.Result> results, Map<String, Double> seconds, ComputeDevice device,
      Reproduction.ClassTrackFindings findings) {
    StringBuilder md = new StringBuilder();
    md.append("# Reproduction report\n\n");
    md.append(String.format(Locale.ROOT, "Benchmark `%s`; recipe `%s` (seed %d); %s, %d processors; isc-engine %s."
        + "%n%n", benchmark, recipeName, seed, device.name(), Runtime.getRuntime().availableProcessors(),
        Versions.engine()));
    md.append("## Results on the same queries\n\n");
    md.append(intro);
    if (findings != null) {
      md.append("Ensemble: ").append(findings.ensembleNote()).append(".\n\n");
    }
    md.append("| system | μAP | recall@P90 | score at P90 | recall@rank1 | recall@rank10 |\n"
        + "|---|---:|---:|---:|---:|---:|\n");
    for (var e : results.entrySet()) {
      IscMetrics m = e.getValue().metrics();
      md.append(String.format(Locale.ROOT, "| %s | %.4f | %s | %s | %.4f | %.4f |%n", e.getKey(),
          m.microAveragePrecision(), m.recallAtP90() == null ? "none" : String.format(Locale.ROOT, "%.4f",
              m.recallAtP90()), m.thresholdAtP90() == null ? "none" : String.format(Locale.ROOT, "%.6f",
              m.thresholdAtP90()), m.recallAtRank1(), m.recallAtRank10()));
    }
    md.append("\nWhat each step adds (μAP before → after, on these queries; one training seed is one draw, so"
        + " compare a gain with the spread over seeds of `isc reproduce --seeds N`):\n\n");
    for (List<String> step : Reproduction.steps()) {
      IscEvaluation.Result before = results.get(step.get(0));
      IscEvaluation.Result after = results.get(step.get(1));
      if (before != null && after != null) {
        double a = before.metrics().microAveragePrecision();
        double b = after.metrics().microAveragePrecision();
        md.append(String.format(Locale.ROOT, "- %s → %s: %.4f → %.4f (%s%.4f, %s)%n", step.get(0), step.get(1), a, b,
            b >= a ? "+" : "", b - a, b > a ? "adds" : "does not add"));
      }
    }
    md.append("\nThe score at P90 is the threshold at which that system's matches reach 90 % precision: the"
        + " calibrated threshold to give `isc serve --threshold` with that model.\n");
    md.append("\nPrecision-recall curves: `report-pr.png`; the best system's top false positives and missed copies:"
        + " `report-errors.png`, and with its top-scoring pairs and their scores: [report-matches.html](report-matches.html);"
        + " training loss: `train/loss.png`; per-step metrics: `train/metrics.jsonl`.\n\n");
    md.append("![precision-recall](report-pr.png)\n\n![errors](report-errors.png)\n\n"
        + "![training loss](train/loss.png)\n\n");
    if (findings != null) {
      perEdit(md, findings.perEdit());
      partsCost(md, findings.partsCost());
    }
    md.append("## Training\n\n").append(trainingTable);
    md.append("\n## Time\n\n| phase | seconds |\n|---|---:|\n");
    seconds.forEach((k, v) -> md.append(String.format(Locale.ROOT, "| %s | %.1f |%n", k, v)));
    md.append(String.format(Locale.ROOT, "| total | %.1f |%n", seconds.values().stream().mapToDouble(d -> d).sum()));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("recipe", recipeName);
    json.put("seed", seed);
    json.put("device", device.name());
    Map<String, Object> metrics = new LinkedHashMap<>();
    results.forEach((k, v) -> metrics.put(k, v.metrics()));
    json.put("results", metrics);
    if (findings != null) {
      json.put("perEdit", findings.perEdit());
      json.put("parts", findings.partsCost());
      json.put("ensemble", findings.ensembleNote());
    }
    json.put("seconds", seconds);
    return publish(work, md, json);
  }

  /**
   * The report of an InsCLR reproduction on an instance benchmark: mAP of the revisited
   * protocols before training and after each stage, what each stage selected, and the time.
   */
  static Path writeInstances(Path work, InsClrRecipe recipe, Path benchmark,
      Map<String, Map<Protocol, ProtocolMetrics>> results, List<InsClrTrainer.StageOutcome> stages,
      Map<String, Double> seconds, ComputeDevice device) {
    StringBuilder md = new StringBuilder();
    md.append("# Reproduction report: InsCLR\n\n");
    md.append(String.format(Locale.ROOT, "Benchmark `%s`; recipe `%s` (seed %d); %s, %d processors; isc-engine %s."
        + "%n%n", benchmark, recipe.name(), recipe.seed(), device.name(), Runtime.getRuntime().availableProcessors(),
        Versions.engine()));
    md.append("## Retrieval mAP, revisited protocols\n\n");
    md.append("Each query ranks the database by the inner product of unit descriptors; *Easy* counts the easy views"
        + " as positives and ignores hard and junk ones, *Medium* counts easy and hard, *Hard* counts hard views"
        + " and ignores easy ones; junk views are ignored by all. The training used the database images without"
        + " their labels. *Before training*: the network the first stage starts from.\n\n");
    md.append("| model | mAP Easy | mAP Medium | mAP Hard | mP@10 Medium |\n|---|---:|---:|---:|---:|\n");
    int atTen = java.util.Arrays.binarySearch(RevisitedEvaluation.KAPPAS, 10);
    results.forEach((name, m) -> md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f |%n", name,
        100 * m.get(Protocol.EASY).meanAveragePrecision(), 100 * m.get(Protocol.MEDIUM).meanAveragePrecision(),
        100 * m.get(Protocol.HARD).meanAveragePrecision(),
        100 * m.get(Protocol.MEDIUM).meanPrecisionAt()[atTen])));
    md.append("\nWhat each stage adds (mAP Medium before → after; one seed is one draw):\n\n");
    List<String> names = new java.util.ArrayList<>(results.keySet());
    for (int i = 1; i < names.size(); i++) {
      double a = results.get(names.get(i - 1)).get(Protocol.MEDIUM).meanAveragePrecision();
      double b = results.get(names.get(i)).get(Protocol.MEDIUM).meanAveragePrecision();
      md.append(String.format(Locale.ROOT, "- %s → %s: %.2f → %.2f (%s%.2f, %s)%n", names.get(i - 1), names.get(i),
          100 * a, 100 * b, b >= a ? "+" : "", 100 * (b - a), b > a ? "adds" : "does not add"));
    }
    md.append("\n## Stages\n\n| stage | images | pool K | positives / image | images with one | hard negatives"
        + " / image | steps | loss first → last tenth |\n|---|---:|---:|---:|---:|---:|---:|---|\n");
    for (InsClrTrainer.StageOutcome s : stages) {
      md.append(String.format(Locale.ROOT, "| %s | %d | %d | %.2f | %.0f %% | %.1f | %d | %.4f → %.4f |%n",
          s.stage(), s.images(), s.candidates(), s.meanPositives(), 100 * s.withPositives(), s.meanHardNegatives(),
          s.steps(), s.firstLoss(), s.lastLoss()));
    }
    md.append("\n| stage | architecture | head | input / train px | thresholds (pos / neg) | expansion | batch |"
        + " lr | margin |\n|---|---|---|---|---|---|---:|---:|---:|\n");
    for (InsClrStage s : recipe.stages()) {
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d / %d | %.2f / %.2f | %s | %d | %.2g | %.2f |%n",
          s.name(), s.architecture(), s.head(), s.inputSize(), s.trainSize(), s.positiveThreshold(),
          s.negativeThreshold(), s.expandRounds() == 0 ? "none" : s.expandRounds() + " rounds of " + s.expandPerRound(),
          s.batchSize(), s.lr(), s.margin()));
    }
    md.append("\nTraining loss: `train/loss.png`; per-step metrics: `train/metrics.jsonl`.\n\n"
        + "![training loss](train/loss.png)\n");
    md.append("\n## Time\n\n| phase | seconds |\n|---|---:|\n");
    seconds.forEach((k, v) -> md.append(String.format(Locale.ROOT, "| %s | %.1f |%n", k, v)));
    md.append(String.format(Locale.ROOT, "| total | %.1f |%n", seconds.values().stream().mapToDouble(d -> d).sum()));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("recipe", recipe.name());
    json.put("seed", recipe.seed());
    json.put("device", device.name());
    json.put("results", results);
    json.put("stages", stages);
    json.put("seconds", seconds);
    return publish(work, md, json);
  }

  /** Writes report.md and report.json into work (atomically); the path of report.md. */
  private static Path publish(Path work, CharSequence md, Map<String, Object> json) {
    Path report = work.resolve("report.md");
    AtomicFile.write(report, tmp -> Files.writeString(tmp, md));
    AtomicFile.writeJson(work.resolve("report.json"), json);
    return report;
  }

  /** μAP per edit kind, one column per system, and what the second system gains over the first. */
  private static void perEdit(StringBuilder md, Map<String, Map<String, GroupEvaluation.Group>> perEdit) {
    md.append("## Per edit\n\n");
    if (perEdit.isEmpty()) {
      md.append("The benchmark has no `query_edits.csv` (mini-DISC writes one), so no figures per edit.\n\n");
      return;
    }
    List<String> systems = List.copyOf(perEdit.keySet());
    md.append("μAP of the queries made with each edit (a query made with two or three edits counts under each; a"
        + " group's μAP is that of its queries alone, copies and distractors, against its own ground-truth"
        + " pairs). Few copies per edit, so a difference of a few hundredths is noise. *Overlay* edits put"
        + " something on the image (text, emoji, caption); *underlay* puts the image inside another one.\n\n");
    md.append("| edit | queries | copies |");
    systems.forEach(s -> md.append(' ').append(s).append(" |"));
    md.append(String.format(" %s − %s |%n|---|---:|---:|", systems.get(1), systems.get(0)));
    md.append("---:|".repeat(systems.size() + 1)).append('\n');
    for (var e : perEdit.get(systems.get(0)).entrySet()) {
      GroupEvaluation.Group first = e.getValue();
      md.append(String.format(Locale.ROOT, "| %s | %d | %d |", e.getKey(), first.queries(), first.copies()));
      for (String s : systems) {
        md.append(String.format(Locale.ROOT, " %.4f |", perEdit.get(s).get(e.getKey()).metrics()
            .microAveragePrecision()));
      }
      double gain = perEdit.get(systems.get(1)).get(e.getKey()).metrics().microAveragePrecision()
          - first.metrics().microAveragePrecision();
      md.append(String.format(Locale.ROOT, " %s%.4f |%n", gain >= 0 ? "+" : "", gain));
    }
    md.append('\n');
  }

  /** Rows, index size and time with and without parts. */
  private static void partsCost(StringBuilder md, Reproduction.PartsCost c) {
    md.append("## What multi-part matching costs\n\n| | whole images | parts | factor |\n|---|---:|---:|---:|\n");
    md.append(String.format(Locale.ROOT, "| rows per query | 1 | %.2f | %.2f× |%n", c.queryParts(), c.queryParts()));
    md.append(String.format(Locale.ROOT, "| rows per reference | 1 | %.2f | %.2f× |%n", c.referenceParts(),
        c.referenceParts()));
    md.append(String.format(Locale.ROOT, "| reference index (float32) | %.2f MB | %.2f MB | %.2f× |%n",
        c.indexBytes() / 1e6, c.partIndexBytes() / 1e6, (double) c.partIndexBytes() / c.indexBytes()));
    md.append(String.format(Locale.ROOT, "| search work (query rows × reference rows) | 1 | %.1f | %.1f× |%n",
        c.queryParts() * c.referenceParts(), c.queryParts() * c.referenceParts()));
    md.append(String.format(Locale.ROOT, "| search, 10 nearest (+ folding), measured | %.3f s | %.3f s | %.1f× |%n",
        c.searchSeconds(), c.partSearchSeconds(), c.partSearchSeconds() / c.searchSeconds()));
    md.append(String.format(Locale.ROOT, "| describing (whole: queries, references and training images; parts:"
        + " queries and references) | %.1f s | %.1f s | |%n%n", c.describeSeconds(), c.partDescribeSeconds()));
  }
}
