package org.iscengine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.iscengine.image.ImageFormat;
import org.iscengine.image.ImageOps;
import org.iscengine.image.Images;
import org.iscengine.progress.Progress;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PhotoCollectorTest {
  @TempDir Path work;

  /** Sources covering every case the collection handles. */
  private List<PhotoCollector.Source> sources() throws Exception {
    Path train = Files.createDirectories(work.resolve("train"));
    Path bench = Files.createDirectories(work.resolve("bench"));
    List<PhotoCollector.Source> s = new ArrayList<>();
    // A large photo: 3 x 2 tiles of 160 (plus a margin cut off evenly).
    try (Mat big = TestImages.natural(10, 500, 330)) {
      Images.write(train.resolve("big.jpg"), big, 95);
      // The same photo at half size, in the training pool: a duplicate (the larger copy wins).
      try (Mat half = ImageOps.resize(big, 250, 165)) {
        Images.write(train.resolve("big-small.jpg"), half, 80);
      }
      // ...and again among the benchmark sources: dropped, keeping the pools disjoint.
      try (Mat third = ImageOps.resize(big, 180, 130)) {
        Images.write(bench.resolve("copy-of-train.png"), third, 95);
      }
    }
    try (Scalar grey = new Scalar(90, 90, 90, 0);
        Mat blank = new Mat(200, 200, org.bytedeco.opencv.global.opencv_core.CV_8UC3, grey)) {
      Images.write(train.resolve("blank.png"), blank, 95);
    }
    try (Mat tiny = TestImages.natural(11, 100, 90)) {
      Images.write(bench.resolve("tiny.png"), tiny, 95);
    }
    Files.write(bench.resolve("corrupt.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3});
    for (Path f : SyntheticPhotos.writeUnnumbered(bench, "b", 3, 4, 200, 170)) {
      s.add(new PhotoCollector.Source(PhotoLibrary.BENCH, f, "bench/" + f.getFileName()));
    }
    for (String name : List.of("big.jpg", "big-small.jpg", "blank.png")) {
      s.add(new PhotoCollector.Source(PhotoLibrary.TRAIN, train.resolve(name), "train/" + name));
    }
    for (String name : List.of("copy-of-train.png", "tiny.png", "corrupt.jpg")) {
      s.add(new PhotoCollector.Source(PhotoLibrary.BENCH, bench.resolve(name), "bench/" + name));
    }
    return s;
  }

  private PhotoLibrary build(Path out, List<PhotoCollector.Source> sources, int threads) {
    return new PhotoCollector(work.resolve("cache"), out, 160, 160, threads, Progress.none())
        .build(sources, Map.of("train", "1.0-1", "bench", "2:0.5"), null);
  }

  @Test
  void tilesDeduplicatesFiltersAndKeepsThePoolsDisjoint() throws Exception {
    PhotoLibrary library = build(work.resolve("photos"), sources(), 2);

    Map<String, String> rejected = library.manifest().rejected().stream()
        .collect(Collectors.toMap(PhotoLibrary.Rejected::source, PhotoLibrary.Rejected::reason));
    assertEquals(Set.of("train/big-small.jpg", "bench/copy-of-train.png", "train/blank.png", "bench/tiny.png",
        "bench/corrupt.jpg"), rejected.keySet(), rejected::toString);
    assertEquals("duplicate of train/big.jpg", rejected.get("train/big-small.jpg"));
    assertEquals("duplicate of train/big.jpg", rejected.get("bench/copy-of-train.png"));
    assertTrue(rejected.get("train/blank.png").startsWith("blank"), rejected::toString);
    assertTrue(rejected.get("bench/tiny.png").startsWith("too small (100x90)"), rejected::toString);
    assertTrue(rejected.get("bench/corrupt.jpg").contains("corrupt.jpg"), rejected::toString);

    // The big photo: non-overlapping square tiles of one side (160 or 240), centred; each
    // benchmark image whole.
    int t = PhotoCollector.tileSide("train/big.jpg", 160, 500, 330);
    assertTrue(t == 160 || t == 240, "tile side " + t);
    int nx = 500 / t;
    int ny = 330 / t;
    List<PhotoLibrary.Unit> train = library.units(PhotoLibrary.TRAIN);
    assertEquals(nx * ny, train.size(), train::toString);
    for (PhotoLibrary.Unit u : train) {
      assertEquals("train/big.jpg", u.source());
      assertEquals(t, u.width());
      int x0 = (500 - nx * t) / 2;
      int y0 = (330 - ny * t) / 2;
      assertEquals(x0 + t * ((u.x() - x0) / t), u.x());
      assertEquals(y0 + t * ((u.y() - y0) / t), u.y());
      try (Mat tile = Images.read(library.file(u))) {
        assertEquals(t, tile.cols());
        assertEquals(t, tile.rows());
      }
    }
    assertEquals(nx * ny, train.stream().map(u -> u.x() + "," + u.y()).distinct().count());
    assertEquals(List.of("bench/b-a.png", "bench/b-b.png", "bench/b-c.png", "bench/b-d.png"),
        library.units(PhotoLibrary.BENCH).stream().map(PhotoLibrary.Unit::source).toList());
    assertEquals(List.of("bench/P000000.jpg", "bench/P000001.jpg", "bench/P000002.jpg", "bench/P000003.jpg"),
        library.units(PhotoLibrary.BENCH).stream().map(PhotoLibrary.Unit::file).toList());
    assertEquals(nx * ny, library.manifest().training());
    assertEquals(4, library.manifest().benchmark());
    // Each package with its version, pool, image files and units kept.
    Map<String, PhotoLibrary.Package> packages = library.manifest().packages().stream()
        .collect(Collectors.toMap(PhotoLibrary.Package::name, p -> p));
    assertEquals(new PhotoLibrary.Package("train", "1.0-1", PhotoLibrary.TRAIN, 3, nx * ny), packages.get("train"));
    assertEquals(new PhotoLibrary.Package("bench", "2:0.5", PhotoLibrary.BENCH, 7, 4), packages.get("bench"));
    assertTrue(!Files.exists(library.root().resolve(".scratch")), "the scratch folder is removed");

    // What was written reads back.
    PhotoLibrary reopened = PhotoLibrary.open(library.root());
    assertEquals(library.manifest(), reopened.manifest());
  }

  @Test
  void theSameSourcesGiveTheSameLibraryWhateverTheThreads() throws Exception {
    List<PhotoCollector.Source> sources = sources();
    PhotoLibrary a = build(work.resolve("a"), sources, 1);
    PhotoLibrary b = build(work.resolve("b"), sources, 3);
    assertEquals(a.manifest(), b.manifest());
    for (PhotoLibrary.Unit u : a.manifest().units()) {
      assertArrayEquals(Files.readAllBytes(a.file(u)), Files.readAllBytes(b.file(u)), u.file());
    }
    assertArrayEquals(Files.readAllBytes(a.root().resolve("manifest.json")),
        Files.readAllBytes(b.root().resolve("manifest.json")));
  }

  @Test
  void copiesOfAPhotoAreRemovedWithinAndAcrossPoolsAndDistinctPhotosSurvive() throws Exception {
    Path train = Files.createDirectories(work.resolve("dup-train"));
    Path bench = Files.createDirectories(work.resolve("dup-bench"));
    List<PhotoCollector.Source> s = new ArrayList<>();
    try (Mat a = SyntheticPhotos.distinct(21, 420, 300);
        Mat b = SyntheticPhotos.distinct(22, 300, 240)) {
      Images.write(train.resolve("a.png"), a, 95);
      s.add(new PhotoCollector.Source(PhotoLibrary.TRAIN, train.resolve("a.png"), "train/a.png"));
      // Copies of a training photo among the benchmark sources: the pools stay disjoint.
      try (Mat m = ImageOps.resize(a, 210, 150)) {
        Images.write(bench.resolve("a-resized.jpg"), m, 90);
      }
      Files.write(bench.resolve("a-recompressed.jpg"), Images.encode(a, ImageFormat.JPEG, 25));
      try (Mat m = ImageOps.crop(a, 20, 0, 400, 285)) {  // 5 % off the left and the bottom
        Images.write(bench.resolve("a-cropped.png"), m, 95);
      }
      try (Mat m = recoloured(a)) {
        Images.write(bench.resolve("a-recoloured.png"), m, 95);
      }
      try (Mat m = new Mat()) {
        org.bytedeco.opencv.global.opencv_core.bitwise_not(a, m);
        Images.write(bench.resolve("a-inverted.png"), m, 95);
      }
      // A benchmark photo and its copies within the benchmark pool: the largest stays.
      Images.write(bench.resolve("b.png"), b, 95);
      try (Mat m = ImageOps.crop(b, 8, 6, 282, 226)) {  // about 6 % off the sides
        try (Mat r = ImageOps.resize(m, 200, 160)) {
          Images.write(bench.resolve("b-cropped-resized.jpg"), r, 70);
        }
      }
    }
    // Two numbered views of one scene: one kept.
    try (Mat v1 = SyntheticPhotos.distinct(31, 200, 200);
        Mat v2 = SyntheticPhotos.distinct(32, 200, 200)) {
      Images.write(bench.resolve("left01.png"), v1, 95);
      Images.write(bench.resolve("left02.png"), v2, 95);
    }
    List<String> copies = List.of("a-resized.jpg", "a-recompressed.jpg", "a-cropped.png", "a-recoloured.png",
        "a-inverted.png", "b-cropped-resized.jpg", "left02.png");
    List<String> distinct = new ArrayList<>(List.of("b.png", "left01.png"));
    for (int i = 0; i < 12; i++) {
      String name = "other-" + SyntheticPhotos.letters(i) + ".png";
      try (Mat m = SyntheticPhotos.distinct(40 + i, 200 + 7 * i, 160)) {
        Images.write(bench.resolve(name), m, 95);
      }
      distinct.add(name);
    }
    for (String name : copies) {
      s.add(new PhotoCollector.Source(PhotoLibrary.BENCH, bench.resolve(name), "bench/" + name));
    }
    for (String name : distinct) {
      s.add(new PhotoCollector.Source(PhotoLibrary.BENCH, bench.resolve(name), "bench/" + name));
    }

    PhotoLibrary library = new PhotoCollector(work.resolve("cache"), work.resolve("dup"), 512, 512, 2,
        Progress.none()).build(s, Map.of("train", "1", "bench", "1"), null);

    Map<String, String> rejected = library.manifest().rejected().stream()
        .collect(Collectors.toMap(PhotoLibrary.Rejected::source, PhotoLibrary.Rejected::reason));
    for (String name : copies) {
      assertTrue(rejected.containsKey("bench/" + name), name + " is not removed: " + rejected);
    }
    assertTrue(rejected.get("bench/a-cropped.png").endsWith("of train/a.png"), rejected::toString);
    assertTrue(rejected.get("bench/a-inverted.png").startsWith("inverted copy of train/a.png"), rejected::toString);
    assertTrue(rejected.get("bench/b-cropped-resized.jpg").endsWith("of bench/b.png"), rejected::toString);
    assertEquals("same numbered series as bench/left01.png", rejected.get("bench/left02.png"));
    List<String> kept = library.units(PhotoLibrary.BENCH).stream().map(PhotoLibrary.Unit::source).toList();
    for (String name : distinct) {
      assertTrue(kept.contains("bench/" + name), name + " was removed: " + rejected.get("bench/" + name));
    }
    assertEquals(List.of("train/a.png"), library.units(PhotoLibrary.TRAIN).stream().map(PhotoLibrary.Unit::source)
        .toList());
  }

  /** More contrast, darker, and a warm colour cast: the same photo in other colours. */
  private static Mat recoloured(Mat image) {
    Mat out = new Mat();
    double[] cast = {0.8, 1.0, 1.2};
    try (Mat curved = new Mat();
        org.bytedeco.opencv.opencv_core.MatVector channels = new org.bytedeco.opencv.opencv_core.MatVector()) {
      image.convertTo(curved, -1, 1.3, -30);
      org.bytedeco.opencv.global.opencv_core.split(curved, channels);
      for (int c = 0; c < 3; c++) {
        channels.get(c).convertTo(channels.get(c), -1, cast[c], 0);
      }
      org.bytedeco.opencv.global.opencv_core.merge(channels, out);
    }
    return out;
  }

  @Test
  void tileSidesVaryBetweenSourcesAndFallBackWhenThePhotoIsTooSmall() {
    Set<Integer> sides = new java.util.HashSet<>();
    for (int i = 0; i < 30; i++) {
      int side = PhotoCollector.tileSide("pkg/photo-" + i + ".jpg", 200, 2000, 1500);
      assertTrue(side == 200 || side == 300, "side " + side);
      assertEquals(side, PhotoCollector.tileSide("pkg/photo-" + i + ".jpg", 200, 2000, 1500), "deterministic");
      sides.add(side);
      // 450 x 350 holds two tiles of 200 but not of 300.
      assertEquals(200, PhotoCollector.tileSide("pkg/photo-" + i + ".jpg", 200, 450, 350));
    }
    assertEquals(Set.of(200, 300), sides, "both sides are used");
  }

  @Test
  void numberedFilesOfOneFolderAreOneSeries() {
    assertEquals(PhotoCollector.series("p/calib/left01.jpg"), PhotoCollector.series("p/calib/left14.jpg"));
    assertEquals(PhotoCollector.series("p/x/Frame_001.png"), PhotoCollector.series("p/x/frame-2.png"));
    assertTrue(!PhotoCollector.series("p/calib/left01.jpg").equals(PhotoCollector.series("p/other/left01.jpg")));
    assertTrue(!PhotoCollector.series("p/x/lena.jpg").equals(PhotoCollector.series("p/x/fruits.jpg")));
  }

  @Test
  void theReservedPackagesAreInNoPoolAndEachPackageInOnlyOne() {
    Set<String> names = new java.util.HashSet<>();
    for (PhotoCollector.PackageSource p : PhotoCollector.PACKAGES) {
      assertTrue(names.add(p.name()), p.name() + " is listed twice");
      assertTrue(!p.name().startsWith("lomiri-wallpapers") && !p.name().equals("ukui-wallpapers"), p.name());
      DebianPackages.refuseReserved(p.name());
    }
    assertTrue(!names.contains(PhotoCollector.EMOJI_PACKAGE));
  }

  @Test
  void openingAFolderWithoutALibrarySaysWhatToRun() {
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> PhotoLibrary.open(work.resolve("nothing")));
    assertTrue(e.getMessage().contains("isc data photos"), e.getMessage());
  }
}
