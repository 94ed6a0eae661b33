package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.iscengine.match.Matcher;
import org.iscengine.match.Predictions;
import org.iscengine.match.PredictionsCsv;
import org.iscengine.match.ScoreFusion;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isc ensemble}. */
@Command(
    name = "ensemble",
    description = {
      "Fuse the predictions of several systems (other models, other scales) pair by pair into one ranking, as the",
      "matching-track winner fused its models' score matrices. Rules: mean (weighted mean of the scores; a pair a",
      "system did not list counts as that system's lowest score for the query), max (highest weighted score),",
      "reciprocal_rank (sum of weight / (60 + rank among the query's pairs); for systems on different scales, it",
      "orders each query's pairs, not the queries against each other)."
    })
final class EnsembleCommand extends IscCommand {
  @Option(names = "--predictions", required = true, split = ",", description = "Two or more predictions CSVs.")
  List<Path> predictions;

  @Option(names = "--weights", split = ",", description = "One weight per system, > 0 (default: all 1).")
  List<Double> weights;

  @Option(names = "--rule", defaultValue = "mean", description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  ScoreFusion.Rule rule;

  @Option(names = "--max-results", defaultValue = "" + Matcher.OFFICIAL_MAX_RESULTS,
      description = "Best pairs kept, 0 for all (default: ${DEFAULT-VALUE}).")
  int maxResults;

  @Option(names = "--out", required = true, description = "Fused predictions CSV.")
  Path out;

  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    if (weights != null && weights.size() != predictions.size()) {
      throw usage("--weights needs one weight per --predictions file: "
          + weights.size() + " for " + predictions.size());
    }
    new OutputPaths().input("--predictions", predictions).output("--out", out).check();
    List<Predictions> systems = new ArrayList<>();
    for (Path p : predictions) {
      systems.add(PredictionsCsv.read(p));
    }
    double[] w = weights == null ? predictions.stream().mapToDouble(p -> 1).toArray()
        : weights.stream().mapToDouble(Double::doubleValue).toArray();
    Predictions fused = ScoreFusion.fuse(systems, w, rule, maxResults);
    PredictionsCsv.write(out, fused);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("rule", rule.toString().toLowerCase(java.util.Locale.ROOT));
    result.put("systems", predictions.size());
    result.put("predictions", fused.size());
    result.put("out", out.toString());
    PrintWriter stdout = out();
    json.print(stdout, result, () -> stdout.printf("%d predictions of %d systems fused (%s) into %s%n", fused.size(),
        predictions.size(), result.get("rule"), out));
    return 0;
  }
}
