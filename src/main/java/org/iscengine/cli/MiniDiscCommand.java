package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.iscengine.augment.EmojiSet;
import org.iscengine.augment.Fonts;
import org.iscengine.augment.ImagePool;
import org.iscengine.augment.Presets;
import org.iscengine.augment.Resources;
import org.iscengine.data.MiniDiscBuilder;
import org.iscengine.data.PhotoLibrary;
import org.iscengine.progress.ConsoleProgress;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isc data mini-disc}. */
@Command(
    name = "mini-disc",
    description = {
      "Build a copy-detection benchmark in the DISC21 layout from the photo library (run 'isc data photos' first):",
      "reference_images/R000000.jpg, query_images/Q00000.jpg, training_images/T000000.jpg, ground_truth.csv.",
      "Copy queries are edited copies of references; distractor queries come from photos that are not references.",
      "Deterministic for a seed; an interrupted build resumes where it stopped."
    })
final class MiniDiscCommand extends IscCommand {
  @CommandLine.Mixin PhotoLibraryOption photos;

  @Option(names = "--out", defaultValue = "mini-disc", description = "Output folder (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--references", defaultValue = "2000", description = "Reference images (default: ${DEFAULT-VALUE}).")
  int references;

  @Option(names = "--queries", defaultValue = "500", description = "Query images (default: ${DEFAULT-VALUE}).")
  int queries;

  @Option(names = "--copy-fraction", defaultValue = "0.5",
      description = "Share of queries that copy a reference; the rest are distractors (default: ${DEFAULT-VALUE}).")
  double copyFraction;

  @Option(names = "--training", defaultValue = "-1",
      description = "Training images from the training pool; -1 takes all of it (default: ${DEFAULT-VALUE}).")
  int training;

  @Option(names = "--preset", defaultValue = "disc-query",
      description = "Augmentation making the queries, one of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
      completionCandidates = PresetNames.class)
  String preset;

  @Option(names = "--size", description = "Query side in pixels (default: the preset's own).")
  Integer size;

  @Option(names = "--split", defaultValue = "test",
      description = "Part of the benchmark pool for references and queries: test (the standard benchmark) or"
          + " validation (photos the test split never uses, for tuning recipes) (default: ${DEFAULT-VALUE}).")
  Choices.Split split;

  @CommandLine.Mixin SeedOption seed;

  @CommandLine.Mixin Workers workers;

  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    PhotoLibrary library = photos.open();
    var options = new MiniDiscBuilder.Options(references, queries, copyFraction, training, seed.seed, preset,
        size != null ? size : Presets.defaultSize(preset), split.id);
    var builder = new MiniDiscBuilder(library, resources(library), options, workers.count(),
        ConsoleProgress.factory("img"));
    MiniDiscBuilder.Result result = builder.build(out);
    var m = result.manifest();
    PrintWriter stdout = out();
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("root", out.toAbsolutePath().toString());
    summary.put("split", m.options().split());
    summary.put("references", m.referenceCount());
    summary.put("queries", m.queryCount());
    summary.put("copyQueries", m.copyQueries());
    summary.put("distractorQueries", m.distractorQueries());
    summary.put("training", m.trainingCount());
    summary.put("failures", result.failures());
    json.print(stdout, summary, () -> stdout.printf(
        "mini-DISC (%s split) in %s: %d references, %d queries (%d copies, %d distractors), %d training images%n",
        m.options().split(), out, m.referenceCount(), m.queryCount(), m.copyQueries(), m.distractorQueries(),
        m.trainingCount()));
    stdout.flush();
    return reportFailures(result.failures());
  }

  /** This machine's fonts, and the library's colour-emoji font when it has one. */
  static Resources resources(PhotoLibrary library) {
    EmojiSet emoji = library.emojiFont().map(EmojiSet::fromFont).orElseGet(EmojiSet::system);
    return new Resources(ImagePool.empty(), Fonts.system(), emoji);
  }
}
