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
    for (Path f : SyntheticPhotos.write(bench, "b", 3, 4, 200, 170)) {
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
        .build(sources, Map.of("generated", "1"), null);
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

    // The big photo: six 160 x 160 tiles, centred; each benchmark image whole.
    List<PhotoLibrary.Unit> train = library.units(PhotoLibrary.TRAIN);
    assertEquals(6, train.size(), train::toString);
    for (PhotoLibrary.Unit u : train) {
      assertEquals("train/big.jpg", u.source());
      assertEquals(160, u.width());
      assertEquals(10 + 160 * ((u.x() - 10) / 160), u.x());
      assertEquals(5 + 160 * ((u.y() - 5) / 160), u.y());
      try (Mat tile = Images.read(library.file(u))) {
        assertEquals(160, tile.cols());
        assertEquals(160, tile.rows());
      }
    }
    assertEquals(6, train.stream().map(u -> u.x() + "," + u.y()).distinct().count());
    assertEquals(List.of("bench/b000.png", "bench/b001.png", "bench/b002.png", "bench/b003.png"),
        library.units(PhotoLibrary.BENCH).stream().map(PhotoLibrary.Unit::source).toList());
    assertEquals(List.of("bench/P000000.jpg", "bench/P000001.jpg", "bench/P000002.jpg", "bench/P000003.jpg"),
        library.units(PhotoLibrary.BENCH).stream().map(PhotoLibrary.Unit::file).toList());
    assertEquals(6, library.manifest().training());
    assertEquals(4, library.manifest().benchmark());
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
  void openingAFolderWithoutALibrarySaysWhatToRun() {
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> PhotoLibrary.open(work.resolve("nothing")));
    assertTrue(e.getMessage().contains("isc data photos"), e.getMessage());
  }
}
