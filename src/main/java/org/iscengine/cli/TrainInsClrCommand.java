package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.iscengine.extract.ImageList;
import org.iscengine.progress.ConsoleProgress;
import org.iscengine.train.InsClrRecipe;
import org.iscengine.train.InsClrTrainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isc train-insclr}. */
@Command(
    name = "train-insclr",
    description = {
      "Train a descriptor model without labels, as InsCLR does, in stages: each stage describes the training",
      "images with the previous stage's model, gives every image a candidate pool of its K nearest images,",
      "takes the candidates above the positive threshold as positives and those below the negative threshold as",
      "hard negatives (the rest is left out), and trains with InsCLR's contrastive loss against the batch and a",
      "memory bank of every image, with Adam. Writes per stage STAGE/model.iscm, STAGE/pool.h5 and",
      "STAGE/stage.json, and model.iscm (the last stage's), metrics.jsonl and loss.png into --out. Finished",
      "stages are kept when the same command runs again.",
      "Recipes: base (InsCLR's base configuration, 3 stages), impr (base, then the impr stage), insclr-mini",
      "(2 short stages on a CPU), insclr-tiny (seconds), or a YAML file."
    })
final class TrainInsClrCommand extends IscCommand {
  @Option(names = "--recipe", defaultValue = "insclr-mini",
      description = "A built-in InsCLR recipe (base, impr, insclr-mini, insclr-tiny) or a YAML file (default:"
          + " ${DEFAULT-VALUE}).")
  String recipe;

  @Option(names = "--images", required = true, description = "Training images: a folder or a list file.")
  Path images;

  @Option(names = "--out", required = true, description = "Run folder.")
  Path out;

  @Option(names = "--init", description = "An isc model file the first stage starts from (default: the recipe's"
      + " pretrained backbone, or random weights).")
  Path init;

  @Option(names = "--seed", description = "Seed (default: the recipe's).")
  Long seed;

  @CommandLine.Mixin Workers workers;

  @CommandLine.Mixin DeviceOption device;

  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    InsClrRecipe r = InsClrRecipe.named(recipe);
    if (seed != null) {
      r = new InsClrRecipe(r.name(), seed, r.stages());
    }
    if (init != null && !Files.isRegularFile(init)) {
      throw usage("--init " + init + " is not a file");
    }
    ImageList pool = ImageList.of(images);
    InsClrTrainer trainer = new InsClrTrainer(r, pool, TrainCommand.resources(), out, device.select(),
        new InsClrTrainer.Options(workers.count(), init), (task, total) -> ConsoleProgress.factory(
            task.startsWith("InsCLR") ? "step" : "img").start(task, total));
    InsClrTrainer.Result result = trainer.run();
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("model", result.model().toString());
    summary.put("images", pool.size());
    summary.put("stages", result.stages());
    PrintWriter stdout = out();
    json.print(stdout, summary, () -> {
      for (InsClrTrainer.StageOutcome s : result.stages()) {
        stdout.printf(Locale.ROOT, "stage %s: %d images, pools of %d, %.2f positives per image (%.0f %% have one),"
            + " %.1f hard negatives; %d steps, loss %.4f -> %.4f%n", s.stage(), s.images(), s.candidates(),
            s.meanPositives(), 100 * s.withPositives(), s.meanHardNegatives(), s.steps(), s.firstLoss(),
            s.lastLoss());
      }
      stdout.printf("model: %s%n", result.model());
    });
    return 0;
  }
}
