package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.iscengine.eval.GroundTruth;
import org.iscengine.eval.IscEvaluation;
import org.iscengine.eval.IscMetrics;
import org.iscengine.eval.PrCurvePlot;
import org.iscengine.eval.RevisitedEvaluation.Protocol;
import org.iscengine.eval.RevisitedEvaluation.ProtocolMetrics;
import org.iscengine.eval.RevisitedEvaluation;
import org.iscengine.eval.RevisitedGroundTruth;
import org.iscengine.io.AtomicFile;
import org.iscengine.match.Predictions;
import org.iscengine.match.PredictionsCsv;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code isc evaluate}. */
@Command(
    name = "evaluate",
    description = {
      "Evaluate predictions (CSV query_id,reference_id,score). With an ISC21 ground truth (CSV",
      "query_id,reference_id): μAP, recall@P90, recall@rank1/10, and the precision-recall curve as PNG. With a",
      "revisited Oxford/Paris ground truth (gnd_*.pkl, or the same structure in .json): mAP and mP@1,5,10 for",
      "the Easy, Medium and Hard protocols. Metrics are written as JSON."
    })
final class EvaluateCommand extends IscCommand {
  @CommandLine.Mixin GroundTruthInputs inputs;

  @Option(names = "--metrics", description = "Metrics JSON (default: <predictions>.metrics.json).")
  Path metricsFile;

  @Option(names = "--plot", description = "Precision-recall PNG, ISC21 only (default: <predictions>.pr.png).")
  Path plot;

  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    String name = inputs.groundTruth.getFileName().toString().toLowerCase(Locale.ROOT);
    boolean revisited = name.endsWith(".pkl") || name.endsWith(".json");
    Path file = metricsFile != null ? metricsFile : OutputPaths.besideCsv(inputs.predictions, ".metrics.json");
    Path png = plot != null ? plot : OutputPaths.besideCsv(inputs.predictions, ".pr.png");
    inputs.check(new OutputPaths()).output(metricsFile != null ? "--metrics" : "the metrics file", file)
        .output(plot != null ? "--plot" : "the plot", revisited ? null : png).check();
    Predictions p = PredictionsCsv.read(inputs.predictions);
    Map<String, Object> report = revisited ? revisited(p) : isc(p, png);
    AtomicFile.writeJson(file, report);
    PrintWriter out = out();
    json.print(out, report, () -> printText(report, revisited, file, out));
    return 0;
  }

  private static void printText(Map<String, Object> report, boolean revisited, Path file, PrintWriter out) {
    if (revisited) {
      @SuppressWarnings("unchecked")
      Map<Protocol, ProtocolMetrics> m = (Map<Protocol, ProtocolMetrics>) report.get("protocols");
      m.forEach((protocol, pm) -> out.printf(Locale.ROOT, "%-6s mAP %6.2f  mP@1,5,10 %6.2f %6.2f %6.2f  (%d queries)%n",
          protocol, 100 * pm.meanAveragePrecision(), 100 * pm.meanPrecisionAt()[0], 100 * pm.meanPrecisionAt()[1],
          100 * pm.meanPrecisionAt()[2], pm.queries()));
      out.printf("metrics: %s%n", file);
    } else {
      IscMetrics m = (IscMetrics) report.get("metrics");
      out.printf(Locale.ROOT, "μAP            %.5f%n", m.microAveragePrecision());
      out.printf(Locale.ROOT, "recall@P90     %s%n", m.recallAtP90() == null ? "not reached"
          : String.format(Locale.ROOT, "%.5f (threshold %g)", m.recallAtP90(), m.thresholdAtP90()));
      out.printf(Locale.ROOT, "recall@rank1   %.5f%nrecall@rank10  %.5f%n", m.recallAtRank1(), m.recallAtRank10());
      out.printf("%d predictions, %d true positives, %d ground-truth matches%s%n", m.predictions(),
          m.truePositives(), m.groundTruthMatches(), m.ignored() > 0 ? ", " + m.ignored() + " ignored" : "");
      out.printf("metrics: %s, curve: %s%n", file, report.get("plot"));
    }
  }

  private Map<String, Object> isc(Predictions p, Path png) {
    IscEvaluation.Result result = IscEvaluation.evaluate(p, GroundTruth.read(inputs.groundTruth));
    PrCurvePlot.write(png, "Precision-recall: " + inputs.predictions.getFileName(), result);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("predictions", inputs.predictions.toString());
    report.put("groundTruth", inputs.groundTruth.toString());
    report.put("metrics", result.metrics());
    report.put("plot", png.toString());
    report.put("curve", result.curve().sampled(200));
    return report;
  }

  private Map<String, Object> revisited(Predictions p) {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("predictions", inputs.predictions.toString());
    report.put("groundTruth", inputs.groundTruth.toString());
    report.put("protocols", RevisitedEvaluation.evaluate(p, RevisitedGroundTruth.read(inputs.groundTruth)));
    return report;
  }
}
