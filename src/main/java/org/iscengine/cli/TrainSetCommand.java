package org.iscengine.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.iscengine.augment.Resources;
import org.iscengine.data.TrainSetBuilder;
import org.iscengine.image.ImageFormat;
import org.iscengine.progress.ConsoleProgress;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isc data train-set}. */
@Command(
    name = "train-set",
    description = {
      "Build a class dataset as the matching-track winner did: one folder per source image holding the image",
      "(00.jpg) and augmented copies of it (01.jpg ...). Images are found recursively and taken in path order.",
      "Deterministic for a seed; an interrupted build resumes where it stopped."
    })
final class TrainSetCommand extends IscCommand {
  @Option(names = "--images", required = true, description = "Folder of source images (searched recursively).")
  Path images;

  @Option(names = "--out", required = true, description = "Output folder.")
  Path out;

  @Option(names = "--classes", defaultValue = "-1",
      description = "Classes (source images) to use; -1 uses all (default: ${DEFAULT-VALUE}).")
  int classes;

  @Option(names = "--copies", defaultValue = "20",
      description = "Images per class, the original included (default: ${DEFAULT-VALUE}).")
  int copies;

  @Option(names = "--preset", defaultValue = "d2lv-big",
      description = "Augmentation, one of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
      completionCandidates = PresetNames.class)
  String preset;

  @Option(names = "--size", defaultValue = "256", description = "Image side in pixels (default: ${DEFAULT-VALUE}).")
  int size;

  @CommandLine.Mixin SeedOption seed;

  @CommandLine.Mixin Workers workers;

  @Override
  public Integer call() {
    List<Path> sources = imagesUnder(images);
    var options = new TrainSetBuilder.Options(classes, copies, preset, size, seed.seed);
    var result = new TrainSetBuilder(options, Resources.local(), workers.count(), ConsoleProgress.factory("img"))
        .build(sources, out);
    PrintWriter stdout = out();
    stdout.printf("training set in %s: %d classes x %d images%n", out, result.manifest().classCount(), copies);
    stdout.flush();
    return reportFailures(result.failures());
  }

  /** Image files under dir, by extension, sorted by path. */
  static List<Path> imagesUnder(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--images: " + dir + " is not a folder");
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      List<Path> found = walk.filter(Files::isRegularFile)
          .filter(p -> ImageFormat.ofExtension(p.getFileName().toString()).isPresent())
          .sorted()
          .toList();
      if (found.isEmpty()) {
        throw new IllegalArgumentException("--images: no image files (jpg, png, webp, bmp, tif) under " + dir);
      }
      return found;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }
}
