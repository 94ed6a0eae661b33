package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.iscengine.match.GeometricVerification;
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
      "orders each query's pairs, not the queries against each other). Then, optionally, the fused pairs verified",
      "by local-feature geometry (--verify), each query's k best kept (--k) and scored relative to its R-th best",
      "(--relative-to-rank, --keep). isc reproduce's three-, four- and five-way systems are --verify Q,R --k 10",
      "--relative-to-rank 2 --keep 10 over deep candidate lists (isc match --k 50 --relative-to-rank 10 --keep 50;",
      "the fourth and fifth lists with --parts, from isc extract --parts query against whole references and",
      "against --parts crops)."
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

  @CommandLine.Mixin PerQueryOptions perQuery;

  @CommandLine.Mixin VerifyOptions verify;

  @Option(names = "--out", required = true, description = "Fused predictions CSV.")
  Path out;

  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    if (weights != null && weights.size() != predictions.size()) {
      throw usage("--weights needs one weight per --predictions file: "
          + weights.size() + " for " + predictions.size());
    }
    perQuery.check();
    GeometricVerification verification = verify.verification();
    new OutputPaths().input("--predictions", predictions).input("--verify", verify.inputs()).output("--out", out)
        .check();
    List<Predictions> systems = new ArrayList<>();
    for (Path p : predictions) {
      systems.add(PredictionsCsv.read(p));
    }
    double[] w = weights == null ? predictions.stream().mapToDouble(p -> 1).toArray()
        : weights.stream().mapToDouble(Double::doubleValue).toArray();
    Integer k = perQuery.k;
    Predictions combined = verify.apply(verification, ScoreFusion.fuse(systems, w, rule, k != null ? 0 : maxResults));
    Predictions fused = perQuery.relative(k != null ? Matcher.bestPerQuery(combined, k) : combined);
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
