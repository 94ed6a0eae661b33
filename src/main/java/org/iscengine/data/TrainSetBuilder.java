package org.iscengine.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.augment.Augmenter;
import org.iscengine.augment.ImagePool;
import org.iscengine.augment.Presets;
import org.iscengine.augment.Resize;
import org.iscengine.augment.Resources;
import org.iscengine.augment.Rng;
import org.iscengine.image.Images;
import org.iscengine.progress.Parallel;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.Versions;

/**
 * The matching-track winner's class datasets: N source images, each a class folder
 * (out/000000/ ...) holding the source resized (00.jpg) and copies - 1 augmented versions
 * (01.jpg ...). Other source images serve as overlay backgrounds. Deterministic for a seed;
 * resumable.
 */
public final class TrainSetBuilder {
  /** Settings; classes &lt; 0 uses every image. */
  public record Options(int classes, int copies, String preset, int size, long seed) {
    public Options {
      if (copies < 1) {
        throw new IllegalArgumentException("copies (per class, the original included) must be >= 1, got " + copies);
      }
      Presets.named(preset, size);
    }
  }

  public record Manifest(String layout, String engineVersion, Options options, int classCount, List<String> sources) {}

  public record Result(Path root, Manifest manifest, List<String> failures) {}

  private final Options options;
  private final Resources resources;
  private final int threads;
  private final Progress.Factory progress;

  /** The thread count changes nothing in the output, so it is not part of the options. */
  public TrainSetBuilder(Options options, Resources resources, int threads, Progress.Factory progress) {
    this.options = options;
    this.resources = resources;
    this.threads = threads;
    this.progress = progress;
  }

  /** Builds from these images (used in the order given; sort them for a stable result). */
  public Result build(List<Path> images, Path out) {
    if (images.isEmpty()) {
      throw new IllegalArgumentException("no images to build a training set from");
    }
    int classes = options.classes() < 0 ? images.size() : Math.min(options.classes(), images.size());
    List<Path> sources = images.subList(0, classes);
    Manifest manifest = new Manifest("class folders", Versions.engine(), options, classes,
        sources.stream().map(p -> p.getFileName().toString()).toList());
    BuildFolder.claim(out, manifest);
    Augmenter augmenter = Augmenter.preset(options.preset(), options.size(), resources.withOthers(ImagePool.of(images)));
    Resize original = Resize.square(options.size());
    List<String> failures = new java.util.ArrayList<>();
    Parallel.run("classes", classes, threads, progress, c -> {
      Path folder = out.resolve(String.format("%06d", c));
      Mat source = null;
      try {
        for (int k = 0; k < options.copies(); k++) {
          Path target = folder.resolve(String.format("%02d.jpg", k));
          if (Files.exists(target)) {
            continue;
          }
          if (source == null) {
            source = Images.read(sources.get(c));
          }
          long seed = Rng.of(options.seed(), (long) c * options.copies() + k).nextLong();
          try (Mat copy = k == 0 ? new Augmenter(original, resources).apply(source, seed) : augmenter.apply(source, seed)) {
            Images.write(target, copy, 95);
          }
        }
      } finally {
        if (source != null) {
          source.close();
        }
      }
    }).forEach(f -> failures.add(String.format("class %06d (%s): %s", f.index(), sources.get(f.index()), f.message())));
    return new Result(out, manifest, failures);
  }
}
