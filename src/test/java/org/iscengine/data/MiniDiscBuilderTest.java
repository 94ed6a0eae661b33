package org.iscengine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.augment.EmojiSet;
import org.iscengine.augment.Fonts;
import org.iscengine.augment.ImagePool;
import org.iscengine.augment.Resources;
import org.iscengine.image.Images;
import org.iscengine.progress.Progress;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MiniDiscBuilderTest {
  @TempDir static Path work;
  static PhotoLibrary library;
  static final Resources RESOURCES = new Resources(ImagePool.empty(), Fonts.hershey(), EmojiSet.generated());
  static final MiniDiscBuilder.Options OPTIONS =
      new MiniDiscBuilder.Options(12, 10, 0.6, 5, 7, "disc-query", 96);

  @BeforeAll
  static void library() {
    library = SyntheticPhotos.library(work, 8, 60);
  }

  private static MiniDiscBuilder.Result build(Path out, MiniDiscBuilder.Options options, int threads) {
    return new MiniDiscBuilder(library, RESOURCES, options, threads, Progress.none()).build(out);
  }

  /** Every file under root by relative path, with its bytes. */
  private static Map<String, byte[]> files(Path root) throws Exception {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        files.put(root.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return files;
  }

  private static void assertSameFiles(Map<String, byte[]> expected, Map<String, byte[]> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    expected.forEach((name, bytes) -> assertArrayEquals(bytes, actual.get(name), name));
  }

  @Test
  void writesTheDisc21LayoutWithTheCountsAskedFor() throws Exception {
    Path out = work.resolve("disc");
    MiniDiscBuilder.Result result = build(out, OPTIONS, 2);
    assertEquals(List.of(), result.failures());

    Set<String> references = Set.copyOf(names(out.resolve("reference_images")));
    Set<String> queries = Set.copyOf(names(out.resolve("query_images")));
    assertEquals(12, references.size());
    assertTrue(references.contains("R000000.jpg") && references.contains("R000011.jpg"), references::toString);
    assertEquals(10, queries.size());
    assertTrue(queries.contains("Q00000.jpg") && queries.contains("Q00009.jpg"), queries::toString);
    assertEquals(5, names(out.resolve("training_images")).size());
    assertTrue(Files.exists(out.resolve("training_images/T000004.jpg")));
    assertTrue(Files.isRegularFile(out.resolve("preview.png")));

    List<String> lines = Files.readAllLines(out.resolve("ground_truth.csv"), StandardCharsets.US_ASCII);
    assertEquals("query_id,reference_id", lines.get(0));
    assertEquals(11, lines.size());
    int copies = 0;
    MiniDiscBuilder.Manifest m = result.manifest();
    for (int q = 0; q < 10; q++) {
      String[] row = lines.get(q + 1).split(",", -1);
      assertEquals(String.format("Q%05d", q), row[0]);
      if (!row[1].isEmpty()) {
        copies++;
        assertTrue(references.contains(row[1] + ".jpg"), row[1]);
        int r = Integer.parseInt(row[1].substring(1));
        assertEquals(m.references().get(r), m.queries().get(q), "a copy query is made from its reference");
      } else {
        assertFalse(m.references().contains(m.queries().get(q)), "a distractor's source is not a reference");
      }
      try (Mat query = Images.read(out.resolve("query_images").resolve(row[0] + ".jpg"))) {
        assertEquals(96, query.cols());
        assertEquals(96, query.rows());
      }
    }
    assertEquals(6, copies);
    assertEquals(6, m.copyQueries());
    assertEquals(4, m.distractorQueries());
    // References are the benchmark pool's photos, byte for byte; training images the training pool's.
    Set<String> bench = new HashSet<>(library.units(PhotoLibrary.BENCH).stream().map(PhotoLibrary.Unit::file).toList());
    assertTrue(bench.containsAll(m.references()), m.references()::toString);
    Set<String> train = new HashSet<>(library.units(PhotoLibrary.TRAIN).stream().map(PhotoLibrary.Unit::file).toList());
    assertTrue(train.containsAll(m.training()), m.training()::toString);
    assertArrayEquals(Files.readAllBytes(library.root().resolve(m.references().get(3))),
        Files.readAllBytes(out.resolve("reference_images/R000003.jpg")));
  }

  @Test
  void theSameSeedGivesIdenticalFilesAndAnotherSeedDoesNot() throws Exception {
    Map<String, byte[]> a = files(build(work.resolve("seed-a"), OPTIONS, 1).root());
    Map<String, byte[]> b = files(build(work.resolve("seed-b"), OPTIONS, 3).root());
    assertSameFiles(a, b);
    var other = new MiniDiscBuilder.Options(12, 10, 0.6, 5, 8, "disc-query", 96);
    Map<String, byte[]> c = files(build(work.resolve("seed-c"), other, 2).root());
    assertFalse(java.util.Arrays.equals(a.get("ground_truth.csv"), c.get("ground_truth.csv"))
        && java.util.Arrays.equals(a.get("query_images/Q00000.jpg"), c.get("query_images/Q00000.jpg")));
  }

  @Test
  void anInterruptedBuildResumesToTheSameFiles() throws Exception {
    Path out = work.resolve("resume");
    Map<String, byte[]> whole = files(build(out, OPTIONS, 2).root());
    // As if stopped half way: some outputs never written, a temporary left over.
    Files.delete(out.resolve("query_images/Q00003.jpg"));
    Files.delete(out.resolve("reference_images/R000007.jpg"));
    Files.delete(out.resolve("ground_truth.csv"));
    Files.write(out.resolve("query_images/.Q00003.jpg.12345.tmp"), new byte[] {1, 2, 3});
    Path finished = out.resolve("query_images/Q00004.jpg");
    long before = Files.getLastModifiedTime(finished).toMillis();
    Files.setLastModifiedTime(finished, java.nio.file.attribute.FileTime.fromMillis(before - 60_000));
    build(out, OPTIONS, 2);
    assertSameFiles(whole, files(out));
    assertEquals(before - 60_000, Files.getLastModifiedTime(finished).toMillis(), "finished files are not redone");
  }

  @Test
  void recordsTheEditsOfEveryQueryAndRecoversThemForAnOlderBuild() throws Exception {
    Path out = work.resolve("edits");
    build(out, OPTIONS, 2);
    Map<String, List<String>> edits = MiniDiscBuilder.readQueryEdits(out);
    assertEquals(10, edits.size());
    Set<String> known = Set.of("crop", "underlay", "text", "emoji", "caption", "colour", "blur", "jpeg", "rotation",
        "perspective", "pad", "pixelize", "opacity", "grayscale-edges", "flip");
    for (int q = 0; q < 10; q++) {
      List<String> e = edits.get(String.format("Q%05d", q));
      assertTrue(e.size() >= 1 && e.size() <= 3 && known.containsAll(e), e::toString);
    }
    // Recording draws nothing: the same seed gives the same pixels with or without it.
    var augmenter = org.iscengine.augment.Augmenter.preset("disc-query", 96, RESOURCES);
    try (Mat source = Images.read(library.file(library.units(PhotoLibrary.BENCH).get(0)));
        Mat plain = augmenter.apply(source, 42)) {
      var recorded = augmenter.applyRecorded(source, 42);
      try (Mat image = recorded.image()) {
        assertEquals(0, org.bytedeco.opencv.global.opencv_core.norm(plain, image, org.bytedeco.opencv.global
            .opencv_core.NORM_INF, new Mat()), 0.0);
      }
      assertFalse(recorded.edits().isEmpty());
    }
    // A build made before the edits were recorded: its queries are edited again (not rewritten) to learn them.
    byte[] csv = Files.readAllBytes(out.resolve(MiniDiscBuilder.QUERY_EDITS));
    Files.delete(out.resolve(MiniDiscBuilder.QUERY_EDITS));
    Path query = out.resolve("query_images/Q00002.jpg");
    Files.setLastModifiedTime(query, java.nio.file.attribute.FileTime.fromMillis(1_000_000));
    build(out, OPTIONS, 2);
    assertArrayEquals(csv, Files.readAllBytes(out.resolve(MiniDiscBuilder.QUERY_EDITS)));
    assertEquals(1_000_000, Files.getLastModifiedTime(query).toMillis());
  }

  @Test
  void aFolderHoldingAnotherBuildIsRefusedUntouched() throws Exception {
    Path out = work.resolve("other");
    build(out, OPTIONS, 2);
    Map<String, byte[]> before = files(out);
    var changed = new MiniDiscBuilder.Options(12, 10, 0.6, 5, 7, "moderate", 96);
    var e = assertThrows(OtherBuildException.class, () -> build(out, changed, 2));
    assertTrue(e.getMessage().contains("manifest.json differs"), e.getMessage());
    assertSameFiles(before, files(out));
  }

  /** Benchmark units of one split. */
  private static List<PhotoLibrary.Unit> inSplit(String split) {
    return inSplit(library, split);
  }

  private static List<PhotoLibrary.Unit> inSplit(PhotoLibrary photos, String split) {
    return photos.units(PhotoLibrary.BENCH).stream().filter(u -> MiniDiscBuilder.split(u.source()).equals(split))
        .toList();
  }

  @Test
  void theValidationAndTestSplitsShareNoSourceImage() throws Exception {
    int validation = inSplit(MiniDiscBuilder.VALIDATION).size();
    int test = inSplit(MiniDiscBuilder.TEST).size();
    assertEquals(library.units(PhotoLibrary.BENCH).size(), validation + test);
    assertTrue(validation >= 7 && test >= 7, validation + " validation and " + test + " test photos");
    var onValidation = new MiniDiscBuilder.Options(5, 4, 0.5, 3, 7, "disc-query", 96, MiniDiscBuilder.VALIDATION);
    var onTest = new MiniDiscBuilder.Options(5, 4, 0.5, 3, 7, "disc-query", 96);
    assertEquals(MiniDiscBuilder.TEST, onTest.split(), "test is the default split");
    MiniDiscBuilder.Manifest v = build(work.resolve("validation"), onValidation, 2).manifest();
    MiniDiscBuilder.Manifest t = build(work.resolve("test"), onTest, 2).manifest();
    Set<String> validationSources = sources(v);
    Set<String> testSources = sources(t);
    assertEquals(Set.of(MiniDiscBuilder.VALIDATION), validationSources.stream().map(MiniDiscBuilder::split)
        .collect(Collectors.toSet()));
    Set<String> shared = new HashSet<>(validationSources);
    shared.retainAll(testSources);
    assertEquals(Set.of(), shared, "source images in both splits");
    assertThrows(IllegalArgumentException.class,
        () -> new MiniDiscBuilder.Options(5, 4, 0.5, 3, 7, "disc-query", 96, "train"));
  }

  /** The source images (not the units) behind a build's references and queries. */
  private static Set<String> sources(MiniDiscBuilder.Manifest m) {
    Map<String, String> sourceOf = SyntheticPhotos.sourceOf(library);
    Set<String> sources = new HashSet<>();
    for (String file : m.references()) {
      sources.add(sourceOf.get(file));
    }
    for (String file : m.queries()) {
      sources.add(sourceOf.get(file));
    }
    assertFalse(sources.contains(null), "every reference and query is a benchmark unit");
    return sources;
  }

  @Test
  void noDistractorQueryComesFromASourceImageThatGivesAReference(@TempDir Path dir) throws Exception {
    PhotoLibrary tiled = SyntheticPhotos.tiledLibrary(dir.resolve("tiled"), 4, 24, 140, 270, 400, 530);
    List<PhotoLibrary.Unit> test = inSplit(tiled, MiniDiscBuilder.TEST);
    Map<String, String> sourceOf = SyntheticPhotos.sourceOf(tiled);
    long multiTile = test.stream()
        .collect(Collectors.groupingBy(PhotoLibrary.Unit::source, Collectors.counting()))
        .values().stream().filter(n -> n > 1).count();
    assertTrue(multiTile >= 5, multiTile + " source images give more than one tile");
    int references = test.size() - 12;
    for (long seed = 1; seed <= 4; seed++) {
      var options = new MiniDiscBuilder.Options(references, 12, 0.5, 0, seed, "disc-query", 64);
      MiniDiscBuilder.Manifest m = new MiniDiscBuilder(tiled, RESOURCES, options, 2, Progress.none())
          .build(dir.resolve("disc-" + seed)).manifest();
      Set<String> referenceSources = new HashSet<>();
      m.references().forEach(f -> referenceSources.add(sourceOf.get(f)));
      List<String> lines = Files.readAllLines(dir.resolve("disc-" + seed).resolve("ground_truth.csv"));
      int distractors = 0;
      for (int q = 0; q < 12; q++) {
        if (lines.get(q + 1).endsWith(",")) {
          distractors++;
          String source = sourceOf.get(m.queries().get(q));
          assertFalse(referenceSources.contains(source), "seed " + seed + ": distractor Q" + q + " is cut from "
              + source + ", which gives a reference");
        }
      }
      assertEquals(6, distractors);
      assertEquals(references, new HashSet<>(m.references()).size(), "distinct references");
    }
  }

  @Test
  void whenNoWholeSourceImageIsLeftForTheDistractorsTheBuildSaysSo(@TempDir Path dir) {
    // Every source gives two or more tiles: one distractor takes part of one, whose other tiles
    // cannot be references, so every other unit is not enough references.
    PhotoLibrary tiled = SyntheticPhotos.tiledLibrary(dir.resolve("tiled"), 4, 12, 270, 400, 530);
    int test = inSplit(tiled, MiniDiscBuilder.TEST).size();
    var crowded = new MiniDiscBuilder.Options(test - 1, 2, 0.5, 0, 1, "disc-query", 64);
    var e = assertThrows(IllegalArgumentException.class,
        () -> new MiniDiscBuilder(tiled, RESOURCES, crowded, 2, Progress.none()).build(dir.resolve("crowded")));
    assertTrue(e.getMessage().contains("source images that give no distractor query"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("crowded/ground_truth.csv")), "nothing written");
  }

  @Test
  void askingForMorePhotosThanThePoolHoldsSaysHowMany() {
    int test = inSplit(MiniDiscBuilder.TEST).size();
    var tooMany = new MiniDiscBuilder.Options(test - 2, 10, 0.5, 5, 7, "disc-query", 96);
    var e = assertThrows(IllegalArgumentException.class, () -> build(work.resolve("too-many"), tooMany, 2));
    assertTrue(e.getMessage().contains("test split of the benchmark pool has " + test + " photos")
        && e.getMessage().contains("need " + (test + 3)), e.getMessage());
    assertFalse(Files.exists(work.resolve("too-many")), "nothing is written");
    assertThrows(IllegalArgumentException.class, () -> new MiniDiscBuilder.Options(5, 5, 1.5, 0, 0, "disc-query", 96));
    assertThrows(IllegalArgumentException.class, () -> new MiniDiscBuilder.Options(5, 5, 0.5, 0, 0, "no-such", 96));
  }

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
