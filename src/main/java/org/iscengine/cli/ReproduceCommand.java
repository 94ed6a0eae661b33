package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.iscengine.augment.Resources;
import org.iscengine.data.InstanceBenchBuilder;
import org.iscengine.data.MiniDiscBuilder;
import org.iscengine.data.OtherBuildException;
import org.iscengine.data.PhotoCollector;
import org.iscengine.data.PhotoLibrary;
import org.iscengine.io.IscCache;
import org.iscengine.progress.ConsoleProgress;
import org.iscengine.eval.RevisitedEvaluation.Protocol;
import org.iscengine.progress.Progress;
import org.iscengine.reproduce.InstanceReproduction;
import org.iscengine.reproduce.Reproduction;
import org.iscengine.reproduce.SeedSummary;
import org.iscengine.train.ClassRecipe;
import org.iscengine.train.InsClrRecipe;
import org.iscengine.train.Recipe;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isc reproduce}. */
@Command(
    name = "reproduce",
    description = {
      "The whole reproduction in one command: benchmark, training, descriptors, DBA/NES, matching, evaluation",
      "and a report (report.md, report-pr.png, report-errors.png) comparing on the same queries the untrained",
      "network, the pretrained one before training (when the recipe starts from one), the trained model,",
      "trained + DBA/NES, + score normalization, then scores relative to each query's 10th neighbour and",
      "re-scored by geometric verification, beside two baselines: PDQ hashes by Hamming distance and 16x16",
      "grey thumbnails. Steps already done in --work are kept, so a stopped run started again continues.",
      "--seeds N trains N times (seeds S, S+1, ...), each in --work/seed-S (so does --seed S alone), and",
      "writes summary.md: each system's mean, standard deviation and range over the seeds.",
      "  --preset mini       builds mini-DISC from Debian packages' photos and trains the 'mini' recipe on the CPU",
      "  --preset disc21     runs the winner's recipe on a DISC21 copy (--data; a GPU is expected)",
      "  --preset d2lv-mini  the matching-track winner's pipeline on the same mini-DISC (the one of --preset mini):",
      "                      class training ('d2lv-mini' class recipe), multi-part matching, score normalization",
      "                      (factor 2, n 10), the ensemble with the descriptor-track model of --preset mini when",
      "                      that run is in the cache (or --ensemble-with), per-edit μAP and what the parts cost",
      "  --preset insclr-mini  builds the instance benchmark of 'isc data instances' (or takes --data), trains the",
      "                      'insclr-mini' InsCLR recipe on its database images without labels, and reports mAP of",
      "                      the Easy, Medium and Hard protocols before training and after each stage"
    })
final class ReproduceCommand extends IscCommand {
  @Option(names = "--preset", defaultValue = "mini", description = "mini, disc21, d2lv-mini or insclr-mini (default:"
      + " ${DEFAULT-VALUE}).")
  Choices.Benchmark preset;

  @Option(names = "--data", description = "The benchmark folder (DISC21 layout); disc21 needs it, mini builds one.")
  Path data;

  @Option(names = "--work", description = "Work folder (default: <cache>/reproduce-<preset>).")
  Path work;

  @Option(names = "--recipe", description = "Another training recipe (built-in name or YAML file; for d2lv-mini a"
      + " class recipe).")
  String recipe;

  @Option(names = "--ensemble-with", description = "d2lv-mini: the descriptor-track model to fuse with (default:"
      + " <cache>/reproduce-mini/train/model.iscm, the --preset mini run's, when it is there).")
  Path ensembleWith;

  @Option(names = "--seeds", defaultValue = "1", description = "Train this many times with consecutive seeds and"
      + " summarise the spread (default: ${DEFAULT-VALUE}).")
  int seeds;

  @Option(names = "--seed", description = "The first seed (default: the recipe's).")
  Long seed;

  @CommandLine.Mixin Workers workers;

  @CommandLine.Mixin DeviceOption device;

  @Override
  public Integer call() {
    if (preset == Choices.Benchmark.DISC21 && data == null) {
      throw usage("--preset disc21 needs --data DIR (a DISC21"
          + " copy: query_images/, reference_images/, training_images/, ground_truth.csv)");
    }
    if (seeds < 1 || seeds > 100) {
      throw usage("--seeds must be in [1, 100], got " + seeds);
    }
    if (ensembleWith != null && (preset != Choices.Benchmark.D2LV_MINI || !Files.isRegularFile(ensembleWith))) {
      throw usage("--ensemble-with needs --preset d2lv-mini and a model file; got " + ensembleWith);
    }
    boolean classTrack = preset == Choices.Benchmark.D2LV_MINI;
    Path miniWork = IscCache.root().resolve("reproduce-mini");
    Path workDir = work != null ? work
        : IscCache.root().resolve("reproduce-" + preset.toString().toLowerCase(Locale.ROOT));
    if (preset == Choices.Benchmark.INSCLR_MINI) {
      return instances(workDir);
    }
    // d2lv-mini is reported on the very queries of --preset mini: it shares that run's mini-DISC.
    Path benchmark = data != null ? data : classTrack ? miniWork.resolve("mini-disc") : workDir.resolve("mini-disc");
    for (String sub : new String[] {"query_images", "reference_images", "training_images"}) {
      if (data != null && !Files.isDirectory(data.resolve(sub))) {
        throw new IllegalArgumentException(data + " has no " + sub + "/ (expected the DISC21 layout)");
      }
    }
    PhotoLibrary library = data == null ? photos() : null;
    if (library != null) {
      buildOrCheck(benchmark, workDir, () -> new MiniDiscBuilder(library, MiniDiscCommand.resources(library),
          new MiniDiscBuilder.Options(2000, 500, 0.5, -1, 0, "disc-query", 320, MiniDiscBuilder.TEST), workers.count(),
          ConsoleProgress.factory("img")).build(benchmark));
    }
    Recipe named = classTrack ? null
        : Recipe.named(recipe != null ? recipe : preset == Choices.Benchmark.MINI ? "mini" : "lyakaap");
    ClassRecipe classRecipe = classTrack ? ClassRecipe.named(recipe != null ? recipe : "d2lv-mini") : null;
    Path descriptorTrack = ensembleWith != null ? ensembleWith : miniWork.resolve("train").resolve("model.iscm");
    String recipeName = classTrack ? classRecipe.name() : named.name();
    long first = seed != null ? seed : classTrack ? classRecipe.seed() : named.seed();
    PrintWriter out = out();
    Map<Long, Reproduction.Outcome> runs = new LinkedHashMap<>();
    for (long s = first; s < first + seeds; s++) {
      Path runDir = seeds == 1 && seed == null ? workDir : workDir.resolve("seed-" + s);
      Resources resources = library != null ? MiniDiscCommand.resources(library) : TrainCommand.resources();
      Progress.Factory bars = (task, total) -> ConsoleProgress.factory(task.startsWith("training")
          || task.startsWith("class training") ? "step" : task.startsWith("geometric") ? "pair" : "img")
          .start(task, total);
      Reproduction reproduction = classTrack
          ? Reproduction.classTraining(benchmark, runDir, classRecipe.withSeed(s), descriptorTrack, device.select(),
              workers.count(), resources, bars)
          : new Reproduction(benchmark, runDir, named.withSeed(s), device.select(), workers.count(), resources, bars);
      Reproduction.Outcome outcome = reproduction.run();
      runs.put(s, outcome);
      int width = outcome.results().keySet().stream().mapToInt(String::length).max().orElse(0);
      outcome.results().forEach((name, result) -> out.printf(Locale.ROOT, "%-" + width + "s  μAP %.4f%n", name,
          result.metrics().microAveragePrecision()));
      out.printf("report: %s%n", outcome.report());
      out.flush();
    }
    if (seeds > 1) {
      out.printf("summary over %d seeds: %s%n", seeds, SeedSummary.write(workDir, recipeName, runs));
    }
    return 0;
  }

  /** The InsCLR reproduction on an instance benchmark, built from the photo library unless --data gives one. */
  private int instances(Path workDir) {
    if (seeds != 1) {
      throw usage("--seeds applies to the mini, disc21 and d2lv-mini presets; run insclr-mini once per --seed");
    }
    Path benchmark = data != null ? data : workDir.resolve("instances");
    if (data != null && !Files.exists(data.resolve(InstanceBenchBuilder.GROUND_TRUTH))) {
      throw new IllegalArgumentException(data + " has no " + InstanceBenchBuilder.GROUND_TRUTH + " (isc data"
          + " instances makes an instance benchmark)");
    }
    if (data == null) {
      PhotoLibrary library = photos();
      buildOrCheck(benchmark, workDir, () -> new InstanceBenchBuilder(library,
          new InstanceBenchBuilder.Options(70, 6, 500, 0), ConsoleProgress.factory("img")).build(benchmark));
    }
    InsClrRecipe named = InsClrRecipe.named(recipe != null ? recipe : "insclr-mini");
    if (seed != null) {
      named = new InsClrRecipe(named.name(), seed, named.stages());
    }
    InstanceReproduction.Outcome outcome = new InstanceReproduction(benchmark, workDir, named, device.select(),
        workers.count(), TrainCommand.resources(), (task, total) -> ConsoleProgress.factory(
            task.startsWith("InsCLR") ? "step" : "img").start(task, total)).run();
    PrintWriter out = out();
    int width = outcome.results().keySet().stream().mapToInt(String::length).max().orElse(0);
    outcome.results().forEach((name, m) -> out.printf(Locale.ROOT, "%-" + width + "s  mAP E %.2f  M %.2f  H %.2f%n",
        name, 100 * m.get(Protocol.EASY).meanAveragePrecision(), 100 * m.get(Protocol.MEDIUM).meanAveragePrecision(),
        100 * m.get(Protocol.HARD).meanAveragePrecision()));
    out.printf("report: %s%n", outcome.report());
    return 0;
  }

  /**
   * Builds the benchmark a reproduction runs on, or, when it is there, checks that it is the one
   * this engine builds (and finishes it if a build was stopped). Every step a reproduction keeps in
   * its folders was measured on that benchmark, so one built otherwise means deleting them all.
   */
  static void buildOrCheck(Path benchmark, Path workDir, Runnable build) {
    try {
      build.run();
    } catch (OtherBuildException stale) {  // its own advice, to delete the benchmark alone, would keep stale steps
      Path reproduction = benchmark.getParent();
      String folders = reproduction.equals(workDir) ? reproduction.toString() : reproduction + " and " + workDir;
      throw new IllegalArgumentException(benchmark + " was built with other settings or by an earlier version of the"
          + " engine, and the steps kept beside it were measured on it: delete " + folders + ", or give --work"
          + " another folder");
    }
  }

  /** The photo library (collected from Debian packages on first use). */
  private PhotoLibrary photos() {
    Path root = PhotoLibrary.defaultRoot();
    if (PhotoLibrary.isCurrent(root)) {
      return PhotoLibrary.open(root);
    }
    return new PhotoCollector(IscCache.root(), root, 384, 192, workers.count(), ConsoleProgress.factory("img"))
        .collect(false);
  }
}
