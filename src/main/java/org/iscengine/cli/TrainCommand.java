package org.iscengine.cli;

import java.nio.file.Path;
import org.iscengine.augment.Resources;
import org.iscengine.data.PhotoLibrary;
import org.iscengine.progress.ConsoleProgress;
import org.iscengine.train.Recipe;
import org.iscengine.train.Trainer;
import org.iscengine.train.TrainingData;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isc train}. */
@Command(
    name = "train",
    description = {
      "Train a descriptor model with a recipe: stages of two augmented views per image and the memory-bank",
      "contrastive loss. The run folder keeps checkpoints (--resume continues), metrics.jsonl, loss.png and,",
      "at the end, model.iscm for isc extract."
    })
final class TrainCommand extends IscCommand {
  @Option(names = "--recipe", defaultValue = "mini",
      description = "A built-in recipe (lyakaap, mini, tiny) or a YAML file (default: ${DEFAULT-VALUE}).")
  String recipe;

  @Option(names = "--images", required = true, description = "Training images: a folder or a list file.")
  Path images;

  @Option(names = "--references", description = "Reference images, extra negatives of stages that use them.")
  Path references;

  @Option(names = "--pairs", description = "A DISC21-layout folder whose ground-truth pairs fine-tuning stages use.")
  Path pairs;

  @Option(names = "--out", required = true, description = "Run folder.")
  Path out;

  @Option(names = "--resume", description = "Continue the run in --out from its checkpoints.")
  boolean resume;

  @Option(names = "--init", description = "An isc model file to start the first stage from (else random weights).")
  Path init;

  @Option(names = "--seed", description = "Override the recipe's seed.")
  Long seed;

  @Option(names = "--checkpoint-every", defaultValue = "50",
      description = "Steps between checkpoints and collapse checks (default: ${DEFAULT-VALUE}).")
  int checkpointEvery;

  @Option(names = "--stop-after", defaultValue = "0",
      description = "Stop after this many steps, leaving a checkpoint (0: run to the end).")
  long stopAfter;

  @CommandLine.Mixin Workers workers;

  @CommandLine.Mixin DeviceOption device;

  @Override
  public Integer call() {
    Recipe r = Recipe.named(recipe);
    if (seed != null) {
      r = r.withSeed(seed);
    }
    TrainingData data = TrainingData.of(images, references, pairs);
    Trainer trainer = new Trainer(r, data, resources(), out, device.select(),
        new Trainer.Options(workers.count(), checkpointEvery, init, stopAfter),
        ConsoleProgress.factory("step"));
    Trainer.Result result = trainer.run(resume);
    var stdout = out();
    if (result.complete()) {
      stdout.printf("trained %s: %s (metrics in %s, curve in %s)%n", r.name(), result.model(),
          out.resolve("metrics.jsonl"), out.resolve("loss.png"));
    } else {
      stdout.printf("stopped after %d steps; continue with --resume (checkpoints in %s)%n", result.losses().size(),
          out);
    }
    stdout.flush();
    return 0;
  }

  /** Fonts and emoji of the augmentations: the photo library's colour-emoji font when it is there. */
  static Resources resources() {
    Path library = PhotoLibrary.defaultRoot();
    return java.nio.file.Files.exists(library.resolve("manifest.json"))
        ? MiniDiscCommand.resources(PhotoLibrary.open(library)) : Resources.local();
  }
}
