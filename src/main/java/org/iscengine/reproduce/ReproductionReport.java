package org.iscengine.reproduce;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.iscengine.eval.IscEvaluation;
import org.iscengine.eval.IscMetrics;
import org.iscengine.eval.RevisitedEvaluation;
import org.iscengine.eval.RevisitedEvaluation.Protocol;
import org.iscengine.eval.RevisitedEvaluation.ProtocolMetrics;
import org.iscengine.io.AtomicFile;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.runtime.Versions;
import org.iscengine.train.InsClrRecipe;
import org.iscengine.train.InsClrStage;
import org.iscengine.train.InsClrTrainer;
import org.iscengine.train.Recipe;
import org.iscengine.train.Stage;

/** report.md and report.json of a reproduction: the compared systems' metrics and where the time went. */
final class ReproductionReport {
  private ReproductionReport() {}

  static Path write(Path work, Recipe recipe, Path benchmark, Map<String, IscEvaluation.Result> results,
      Map<String, Double> seconds, ComputeDevice device) {
    StringBuilder md = new StringBuilder();
    md.append("# Reproduction report\n\n");
    md.append(String.format(Locale.ROOT, "Benchmark `%s`; recipe `%s` (seed %d); %s, %d processors; isc-engine %s."
        + "%n%n", benchmark, recipe.name(), recipe.seed(), device.name(), Runtime.getRuntime().availableProcessors(),
        Versions.engine()));
    md.append("## Results on the same queries\n\n");
    md.append("Matching: the 10 nearest references of each query by inner product; metrics of the ISC21 challenge"
        + " (μAP over all predictions, distractor queries included). *Scores relative to rank 10*: each query's"
        + " scores minus its 10th best, ranks 1-9 kept (`isc match --relative-to-rank 10`). *Geometric"
        + " verification*: each of those pairs re-scored by ORB matches and a RANSAC similarity between the two"
        + " images (`isc match --verify`, default settings). *Untrained network*: the architecture's random"
        + " weights; *pretrained network*: the pretrained backbone and the random head the training starts from."
        + " Baselines without"
        + " learning, from the same query and reference images: *PDQ (Hamming)*, Facebook's 256-bit perceptual hash"
        + " (`isc hash`), the 10 nearest references by Hamming distance d, score 1 - d/256 (257 possible scores, so"
        + " many ties, which the metric counts false positives first); *thumbnail 16×16*, the image's luminance"
        + " area-resampled to 16×16, zero-mean, L2-normalised, by inner product.\n\n");
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
    md.append("## Training\n\n| stage | architecture | input | dim | batch | epochs | lr | schedule | memory |\n"
        + "|---|---|---:|---:|---:|---:|---:|---|---:|\n");
    for (Stage s : recipe.stages()) {
      md.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %d | %.3g | %s | %d |%n", s.name(),
          s.architecture(), s.inputSize(), s.dimension(), s.batchSize(), s.epochs(), s.lr(), s.schedule(),
          s.memorySize()));
    }
    md.append("\n## Time\n\n| phase | seconds |\n|---|---:|\n");
    seconds.forEach((k, v) -> md.append(String.format(Locale.ROOT, "| %s | %.1f |%n", k, v)));
    md.append(String.format(Locale.ROOT, "| total | %.1f |%n", seconds.values().stream().mapToDouble(d -> d).sum()));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("recipe", recipe.name());
    json.put("seed", recipe.seed());
    json.put("device", device.name());
    Map<String, Object> metrics = new LinkedHashMap<>();
    results.forEach((k, v) -> metrics.put(k, v.metrics()));
    json.put("results", metrics);
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
    try {
      byte[] bytes = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(json);
      AtomicFile.write(work.resolve("report.json"), tmp -> Files.write(tmp, bytes));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return report;
  }
}
