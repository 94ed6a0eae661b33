package org.iscengine.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.iscengine.eval.GroundTruth;
import org.iscengine.eval.MatchGallery;
import org.iscengine.extract.ImageList;
import org.iscengine.match.Predictions;
import org.iscengine.match.PredictionsCsv;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code isc report}. */
@Command(
    name = "report",
    description = {
      "Show what predictions matched: an HTML page and a PNG contact sheet of the top-scoring pairs, the",
      "highest-scored false positives and the missed copies, each query beside its reference (and beside the",
      "true reference or the first answer), with ranks and scores. Images are found by id in the two folders",
      "(or image lists) as isc extract names them."
    })
final class ReportCommand extends IscCommand {
  @CommandLine.Mixin GroundTruthInputs inputs;

  @Option(names = "--queries", required = true, description = "Query images: a folder or an image list.")
  Path queries;

  @Option(names = "--references", required = true, description = "Reference images: a folder or an image list.")
  Path references;

  @Option(names = "--html", description = "HTML page (default: <predictions>.report.html).")
  Path html;

  @Option(names = "--png", description = "Contact sheet PNG (default: <predictions>.report.png).")
  Path png;

  @Option(names = "--pairs", defaultValue = "12", description = "Pairs shown in each part (default: ${DEFAULT-VALUE}).")
  int pairs;

  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    if (pairs < 1) {
      throw usage("--pairs must be at least 1, got " + pairs);
    }
    Path page = html != null ? html : OutputPaths.besideCsv(inputs.predictions, ".report.html");
    Path sheet = png != null ? png : OutputPaths.besideCsv(inputs.predictions, ".report.png");
    inputs.check(new OutputPaths()).input("--queries", queries).input("--references", references)
        .output(html != null ? "--html" : "the page", page).output(png != null ? "--png" : "the contact sheet", sheet)
        .check();
    Predictions p = PredictionsCsv.read(inputs.predictions);
    String system = inputs.predictions.getFileName().toString().replaceFirst("\\.csv$", "");
    MatchGallery.writeReport(page, sheet, system, p, GroundTruth.read(inputs.groundTruth),
        ImageList.of(queries).lookup(), ImageList.of(references).lookup(), pairs);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("html", page.toString());
    result.put("png", sheet.toString());
    json.print(out(), result, () -> out().printf("page: %s%ncontact sheet: %s%n",
        page, sheet));
    return 0;
  }
}
