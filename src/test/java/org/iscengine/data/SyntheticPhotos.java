package org.iscengine.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.Images;
import org.iscengine.progress.Progress;
import org.iscengine.testing.TestImages;

/** Photo libraries made of generated images, for the builders' tests. */
final class SyntheticPhotos {
  private SyntheticPhotos() {}

  /** count generated images of width x height in dir, named name000.png ... */
  static List<Path> write(Path dir, String name, long seed, int count, int width, int height) {
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Path file = dir.resolve(String.format("%s%03d.png", name, i));
      try (Mat image = TestImages.natural(seed * 1000 + i, width, height)) {
        Images.write(file, image, Images.DEFAULT_JPEG_QUALITY);
      }
      files.add(file);
    }
    return files;
  }

  static List<PhotoCollector.Source> sources(String pool, List<Path> files) {
    return files.stream()
        .map(f -> new PhotoCollector.Source(pool, f, f.getParent().getFileName() + "/" + f.getFileName()))
        .toList();
  }

  /** A library of train and bench generated images (no tiling: each smaller than two tiles). */
  static PhotoLibrary library(Path work, int train, int bench) {
    List<PhotoCollector.Source> sources = new ArrayList<>();
    sources.addAll(sources(PhotoLibrary.TRAIN, write(work.resolve("train-src"), "t", 1, train, 180, 150)));
    sources.addAll(sources(PhotoLibrary.BENCH, write(work.resolve("bench-src"), "b", 2, bench, 170, 140)));
    return new PhotoCollector(work.resolve("cache"), work.resolve("photos"), 128, 128, 2, Progress.none())
        .build(sources, Map.of("generated", "test"), null);
  }
}
