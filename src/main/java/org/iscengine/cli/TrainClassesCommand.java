package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.iscengine.progress.ConsoleProgress;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.train.ClassRecipe;
import org.iscengine.train.ClassTrainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isc train-classes}. */
@Command(
    name = "train-classes",
    description = {
      "Train a descriptor model as the matching-track winner did: a classifier over the class folders of 'isc data",
      "train-set' (a source image and its copies per class), label-smoothed cross-entropy x 10 + SoftTriple x 1,",
      "P x K batches, warm-up then cosine. Writes model.iscm (backbone and head; the classifier is dropped),",
      "metrics.jsonl and loss.png into --out."
    })
final class TrainClassesCommand extends IscCommand {
  @Option(names = "--recipe", defaultValue = "d2lv-mini",
      description = "A built-in class recipe (d2lv-mini, d2lv-full) or a YAML file (default: ${DEFAULT-VALUE}).")
  String recipe;

  @Option(names = "--classes", required = true, description = "Folder of class folders (isc data train-set --out).")
  Path classes;

  @Option(names = "--out", required = true, description = "Run folder.")
  Path out;

  @CommandLine.Mixin DeviceOption device;

  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    ClassRecipe r = ClassRecipe.named(recipe);
    ClassTrainer.Classes data = ClassTrainer.Classes.under(classes);
    ComputeDevice where = device.select();
    ClassTrainer.Result result = new ClassTrainer(r, data, out, where, ConsoleProgress.factory("step")).run();
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("model", result.model().toString());
    summary.put("classes", data.names().size());
    summary.put("steps", result.losses().size());
    summary.put("firstLoss", result.losses().get(0));
    summary.put("lastLoss", result.losses().get(result.losses().size() - 1));
    PrintWriter stdout = out();
    json.print(stdout, summary, () -> stdout.printf("%s: %d classes, %d steps, loss %.4f -> %.4f%n", result.model(),
        data.names().size(), result.losses().size(), summary.get("firstLoss"), summary.get("lastLoss")));
    return 0;
  }
}
