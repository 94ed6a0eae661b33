package org.iscengine.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
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

  /**
   * Like {@link #write}, named name-a.png, name-b.png ... name-ba.png: names without digits, so that
   * the collection does not take the images for one numbered series.
   */
  static List<Path> writeUnnumbered(Path dir, String name, long seed, int count, int width, int height) {
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Path file = dir.resolve(name + "-" + letters(i) + ".png");
      try (Mat image = TestImages.natural(seed * 1000 + i, width, height)) {
        Images.write(file, image, Images.DEFAULT_JPEG_QUALITY);
      }
      files.add(file);
    }
    return files;
  }

  /**
   * A width x height image whose coarse layout (random colours on a 6 x 5 grid, smoothly
   * interpolated, plus TestImages' detail) is its own: unlike TestImages.natural, whose images share
   * their background gradients, two seeds give images no hash takes for copies of each other.
   */
  static Mat distinct(long seed, int width, int height) {
    java.util.Random r = new java.util.Random(seed);
    Mat layout = new Mat(5, 6, org.bytedeco.opencv.global.opencv_core.CV_8UC3);
    try (org.bytedeco.javacpp.indexer.UByteIndexer px = layout.createIndexer()) {
      for (int y = 0; y < 5; y++) {
        for (int x = 0; x < 6; x++) {
          for (int c = 0; c < 3; c++) {
            px.put(y, x, c, r.nextInt(256));
          }
        }
      }
    }
    Mat out = new Mat();
    try (layout;
        Mat big = org.iscengine.image.ImageOps.resize(layout, width, height,
            org.bytedeco.opencv.global.opencv_imgproc.INTER_CUBIC);
        Mat detail = TestImages.natural(seed, width, height)) {
      org.bytedeco.opencv.global.opencv_core.addWeighted(big, 0.8, detail, 0.2, 0, out);
    }
    return out;
  }

  /** a, b, ... z, ba, bb, ... (base 26 in letters). */
  static String letters(int i) {
    StringBuilder s = new StringBuilder();
    do {
      s.insert(0, (char) ('a' + i % 26));
      i /= 26;
    } while (i > 0);
    return s.toString();
  }

  static List<PhotoCollector.Source> sources(String pool, List<Path> files) {
    return files.stream()
        .map(f -> new PhotoCollector.Source(pool, f, f.getParent().getFileName() + "/" + f.getFileName()))
        .toList();
  }

  /**
   * A library whose bench images are 140 high and the given widths in turn: 140 gives one
   * 128-pixel tile, 270 two, 400 three and 530 four (or two, for the images the collection tiles
   * at 1.5 times); each image's tiles are its own.
   */
  static PhotoLibrary tiledLibrary(Path work, int train, int bench, int... widths) {
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < bench; i++) {
      Path file = work.resolve("bench-src").resolve("b-" + letters(i) + ".png");
      try (Mat image = distinct(5000 + i, widths[i % widths.length], 140)) {
        Images.write(file, image, Images.DEFAULT_JPEG_QUALITY);
      }
      files.add(file);
    }
    return collect(work, train, files);
  }

  /** A library of train and bench generated images (no tiling: each smaller than two tiles). */
  static PhotoLibrary library(Path work, int train, int bench) {
    return collect(work, train, writeUnnumbered(work.resolve("bench-src"), "b", 2, bench, 170, 140));
  }

  /** The source image of each benchmark unit, by file. */
  static Map<String, String> sourceOf(PhotoLibrary photos) {
    Map<String, String> sourceOf = new HashMap<>();
    photos.units(PhotoLibrary.BENCH).forEach(u -> sourceOf.put(u.file(), u.source()));
    return sourceOf;
  }

  /** The library of train generated training images and the given bench images, 128-pixel tiles. */
  private static PhotoLibrary collect(Path work, int train, List<Path> bench) {
    List<PhotoCollector.Source> sources = new ArrayList<>();
    sources.addAll(sources(PhotoLibrary.TRAIN, writeUnnumbered(work.resolve("train-src"), "t", 1, train, 180, 150)));
    sources.addAll(sources(PhotoLibrary.BENCH, bench));
    return new PhotoCollector(work.resolve("cache"), work.resolve("photos"), 128, 128, 2, Progress.none())
        .build(sources, Map.of("train-src", "1", "bench-src", "1"), null);
  }
}
