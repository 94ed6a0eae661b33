package org.iscengine.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.Row;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.cli.IscCli;
import org.iscengine.describe.ImageParts;
import org.iscengine.describe.Preprocess;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.extract.Extractor;
import org.iscengine.extract.ImageList;
import org.iscengine.image.Images;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.Metric;
import org.iscengine.match.Matcher;
import org.iscengine.match.Predictions;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelConfig;
import org.iscengine.model.ModelFile;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.search.ExactIndex;
import org.iscengine.search.Neighbors;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.iscengine.testing.TestDescriptors;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark jobs on local[2] (one session for the class) against the engine run in one process:
 * extraction against the extractor, search against one exact index over every reference and
 * against isc match.
 */
class DistributedJobsTest {
  private static final int SIZE = 64;
  private static final int DIM = 24;
  private static final int IMAGES = 7;
  private static final long IMAGE_SEED = RandomTensors.freshSeed();
  private static final ExtractionSettings SETTINGS =
      new ExtractionSettings(3, 1, Preprocess.Resize.SQUARE, new double[] {1.0, 0.75}, true, ImageParts.Scheme.NONE);

  private static SparkSessions.Lease spark;
  @TempDir static Path shared;
  private static Path imageFolder;
  private static Path model;

  @TempDir Path dir;
  private final long seed = RandomTensors.freshSeed();

  /** The session; 7 readable images of odd sizes (one in a sub-folder), one corrupt file; a small model in a file. */
  @BeforeAll
  static void start() throws Exception {
    // local[2,2]: two executor threads, a failed task tried twice, as a cluster retries it.
    spark = SparkSessions.open("local[2,2]", "isc-test", Map.of("spark.sql.shuffle.partitions", "2"));
    imageFolder = Files.createDirectories(shared.resolve("images/sub")).getParent();
    for (int i = 0; i < IMAGES; i++) {
      String name = (i == 4 ? "sub/" : "") + String.format("img%02d.%s", i, i % 2 == 0 ? "png" : "jpg");
      try (Mat m = TestImages.natural(IMAGE_SEED + i, 37 + 11 * i, 91 - 5 * i)) {
        Images.write(imageFolder.resolve(name), m, 95);
      }
    }
    Files.write(imageFolder.resolve("broken.jpg"), new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2, 3, 4, 5});
    model = shared.resolve("model.isc");
    torch.manual_seed(IMAGE_SEED);
    try (DescriptorModel m = new DescriptorModel(new ModelConfig("resnet18", "fc-bn", DIM, 3.0, false, SIZE,
        ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD))) {
      ModelFile.save(model, m, "test");
    }
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.close();
    }
  }

  // ---- extraction ----

  /** What the engine's extractor writes for the whole list in one process. */
  private Path singleProcess(ImageList images) {
    Path out = dir.resolve("single.h5");
    try (DescriptorModel m = ModelFile.load(model)) {
      Extractor.Result r = new Extractor(m, model.toString(), SETTINGS.options(), ComputeDevice.CPU, ScalarType.Float,
          Progress.none()).run(images, out);
      assertEquals(List.of("broken"), r.failures().stream().map(Extractor.Failure::id).toList());
    }
    return out;
  }

  @Test
  void extractionWritesShardsThatHoldWhatTheExtractorWritesAndListsTheBrokenImage() throws Exception {
    Path out = dir.resolve("shards");
    Path parquet = dir.resolve("parquet");
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    int code = IscCli.run(new PrintWriter(stdout, true), new PrintWriter(stderr, true), "spark", "extract",
        "--model", model.toString(), "--images", imageFolder.toString(), "--out", out.toString(),
        "--parquet", parquet.toString(), "--partitions", "3", "--batch", "3", "--scales", "1,0.75", "--flip", "--json");
    String what = "seed " + IMAGE_SEED;
    assertEquals(0, code, stderr.toString());
    assertTrue(stdout.toString().contains("\"described\":" + IMAGES), stdout.toString());
    assertTrue(stdout.toString().contains("\"partitionsDescribed\":3"), stdout.toString());
    assertTrue(stderr.toString().contains("broken.jpg"), stderr.toString());
    assertTrue(Files.readString(dir.resolve("shards.failures.txt")).contains("broken.jpg"));
    assertFalse(Files.exists(out.resolve(".staging")), "staging is removed");

    Path single = singleProcess(ImageList.of(imageFolder));
    try (Descriptors expected = DescriptorFiles.read(single);
        Descriptors actual = DescriptorFiles.read(new ShardLayout(out).shards(3))) {
      assertEquals(expected.ids(), actual.ids(), what);
      assertMaxAbsoluteError(actual.vectors(), expected.vectors(), 1e-6, what);

      List<Row> rows = spark.session().read().parquet(parquet.toString()).collectAsList();
      assertEquals(IMAGES, rows.size());
      float[][] vectors = HostTensors.toRows(expected.vectors());
      for (Row row : rows) {
        int i = expected.ids().indexOf(row.getString(0));
        List<Float> v = row.getList(1);
        for (int j = 0; j < DIM; j++) {
          assertEquals(vectors[i][j], v.get(j), 1e-6, row.getString(0) + " in Parquet, " + what);
        }
      }
    }
  }

  @Test
  void aRerunDescribesOnlyThePartitionsWithoutAShard() throws Exception {
    ImageList images = ImageList.of(imageFolder);
    Path out = dir.resolve("shards");
    DistributedExtraction job = new DistributedExtraction(spark.session(), ModelSource.of(model, null), SETTINGS);
    List<Path> shards = job.run(images, out, 4).shards();
    FileTime old = FileTime.fromMillis(0);
    for (Path s : shards) {
      Files.setLastModifiedTime(s, old);
    }
    Path lost = dir.resolve("lost.h5");
    Files.move(shards.get(2), lost);

    // The number of partitions comes from the folder; another would be other work.
    DistributedExtraction.Result again = job.run(images, out, null);
    assertEquals(1, again.partitionsDescribed());
    assertEquals(3, again.partitionsReused());
    assertEquals(IMAGES, again.described());
    assertEquals(List.of("broken"), again.failures().stream().map(Extractor.Failure::id).toList());
    for (int p = 0; p < 4; p++) {
      assertEquals(p != 2, Files.getLastModifiedTime(shards.get(p)).equals(old), "shard " + p + " kept or redone");
    }
    try (Descriptors redone = DescriptorFiles.read(shards.get(2));
        Descriptors first = DescriptorFiles.read(lost)) {
      assertEquals(first.ids(), redone.ids());
      assertMaxAbsoluteError(redone.vectors(), first.vectors(), 1e-6, "seed " + IMAGE_SEED);
    }
    IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> job.run(images, out, 2));
    assertTrue(other.getMessage().contains("another extraction"), other.getMessage());
  }

  @Test
  void aTaskThatFailsAfterPublishingItsShardIsRetriedWithoutDuplicates() throws Exception {
    Set<String> failed = ConcurrentHashMap.newKeySet();
    TaskFaults.set(point -> {
      if (point.equals("partition 1 published") && failed.add(point)) {
        throw new IllegalStateException("injected failure at " + point);
      }
    });
    Path out = dir.resolve("shards");
    DistributedExtraction.Result result;
    try {
      result = new DistributedExtraction(spark.session(), ModelSource.of(model, null), SETTINGS)
          .run(ImageList.of(imageFolder), out, 3);
    } finally {
      TaskFaults.set(null);
    }
    assertEquals(Set.of("partition 1 published"), failed);
    assertEquals(IMAGES, result.described());
    assertEquals(List.of("broken"), result.failures().stream().map(Extractor.Failure::id).toList());
    try (var files = Files.list(out)) {
      assertEquals(3, files.filter(f -> f.toString().endsWith(".h5")).count(), "one shard per partition");
    }
    Path single = singleProcess(ImageList.of(imageFolder));
    try (Descriptors expected = DescriptorFiles.read(single);
        Descriptors actual = DescriptorFiles.read(result.shards())) {
      assertEquals(expected.ids(), actual.ids(), "every image once, seed " + IMAGE_SEED);
      assertMaxAbsoluteError(actual.vectors(), expected.vectors(), 1e-6, "seed " + IMAGE_SEED);
    }
  }

  // ---- search ----

  /** Reference files of odd sizes (1131 rows in all), queries, each with ids R.. and Q... */
  private record SearchFiles(Path queries, List<Path> references) {}

  private SearchFiles searchFiles(boolean ties, int dim) {
    int[] sizes = {517, 3, 611};
    List<Path> references = new ArrayList<>();
    int offset = 0;
    for (int f = 0; f < sizes.length; f++) {
      Path file = dir.resolve("references" + f + ".h5");
      try (Tensor v = vectors(seed + f, ties, sizes[f], dim);
          Descriptors d = shifted(TestDescriptors.numbered("R", v), offset)) {
        DescriptorFiles.write(file, d);
      }
      references.add(file);
      offset += sizes[f];
    }
    Path queries = dir.resolve("queries.h5");
    try (Tensor v = vectors(seed + 99, ties, 13, dim);
        Descriptors d = TestDescriptors.numbered("Q", v)) {
      DescriptorFiles.write(queries, d);
    }
    return new SearchFiles(queries, references);
  }

  /** Small integers (exact scores, many of them equal), or unit vectors as descriptors are. */
  private static Tensor vectors(long seed, boolean ties, int rows, int dim) {
    if (ties) {
      return RandomTensors.integers(seed, -2, 2, rows, dim);
    }
    java.util.Random random = new java.util.Random(seed);
    float[] values = new float[rows * dim];
    for (int i = 0; i < rows; i++) {
      System.arraycopy(RandomTensors.unitVector(random, dim), 0, values, i * dim, dim);
    }
    return HostTensors.tensor(values, rows, dim);
  }

  private static Descriptors shifted(Descriptors d, int offset) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < d.size(); i++) {
      ids.add("R" + (offset + i));
    }
    return new Descriptors(ids, d.vectors());
  }

  @Test
  void knnEqualsOneExactIndexOverEveryReference() {
    for (boolean ties : new boolean[] {false, true}) {
      int dim = ties ? 5 : 19;
      SearchFiles files = searchFiles(ties, dim);
      for (Metric metric : Metric.values()) {
        for (int k : new int[] {1, 7, 1024}) {
          for (Integer shardRows : new Integer[] {null, 200}) {
            String what = "ties " + ties + ", " + metric + ", k " + k + ", shard rows " + shardRows + ", seed " + seed;
            try (Descriptors queries = DescriptorFiles.read(files.queries());
                Descriptors references = DescriptorFiles.read(files.references());
                ExactIndex index = new ExactIndex(dim, metric)) {
              Predictions actual = new DistributedSearch(spark.session(), metric, shardRows, 5)
                  .knn(queries, files.references(), k);
              index.add(references.vectors());
              Neighbors expected = index.search(queries.vectors(), k);
              assertEquals(queries.size() * k, actual.size(), what);
              for (int q = 0; q < queries.size(); q++) {
                List<String> expectedIds = new ArrayList<>();
                float[] expectedScores = new float[k];
                for (int j = 0; j < k; j++) {
                  assertEquals(queries.ids().get(q), actual.queryId(q * k + j), what);
                  expectedIds.add(queries.ids().get(q) + "," + references.ids().get((int) expected.id(q, j)));
                  expectedScores[j] = Matcher.score(metric, expected.score(q, j));
                }
                Predictions one = rows(actual, q * k, k);
                assertSameRanking(expectedIds, expectedScores, ids(one), scores(one), ties, what + ", query " + q);
              }
            }
          }
        }
      }
    }
  }

  @Test
  void globalBestPairsEqualTheMatcher() {
    for (boolean ties : new boolean[] {false, true}) {
      int dim = ties ? 5 : 19;
      SearchFiles files = searchFiles(ties, dim);
      for (int n : new int[] {1, 250, 20_000}) {
        String what = "ties " + ties + ", n " + n + ", seed " + seed;
        try (Descriptors queries = DescriptorFiles.read(files.queries());
            Descriptors references = DescriptorFiles.read(files.references())) {
          Predictions expected = new Matcher(Metric.L2).top(queries, references, n);
          Predictions actual = new DistributedSearch(spark.session(), Metric.L2, 300, 4)
              .top(queries, files.references(), n);
          assertEquals(expected.size(), actual.size(), what);
          assertSameRanking(ids(expected), scores(expected), ids(actual), scores(actual), ties, what);
        }
      }
    }
  }

  @Test
  void referenceIdsMustBeUniqueAcrossFiles() {
    SearchFiles files = searchFiles(false, 19);
    List<Path> twice = List.of(files.references().get(0), files.references().get(1), files.references().get(0));
    try (Descriptors queries = DescriptorFiles.read(files.queries())) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new DistributedSearch(spark.session(), Metric.L2, null, 5).knn(queries, twice, 3));
      assertTrue(e.getMessage().contains("'R0' appears twice"), e.getMessage());
    }
  }

  /** On small integers (exact scores, many equal) the two commands must write the same bytes. */
  @Test
  void theSearchCommandWritesTheCsvOfIscMatch() throws Exception {
    SearchFiles files = searchFiles(true, 5);
    String references = String.join(",", files.references().stream().map(Path::toString).toList());
    for (String[] mode : new String[][] {{"--k", "9"}, {"--max-results", "40"}}) {
      Path match = dir.resolve("match.csv");
      Path spark = dir.resolve("spark.csv");
      StringWriter err = new StringWriter();
      PrintWriter out = new PrintWriter(new StringWriter(), true);
      assertEquals(0, IscCli.run(out, new PrintWriter(err, true), "match", "--queries", files.queries().toString(),
          "--references", references, mode[0], mode[1], "--out", match.toString()), err.toString());
      assertEquals(0, IscCli.run(out, new PrintWriter(err, true), "spark", "search", "--queries",
          files.queries().toString(), "--references", references, mode[0], mode[1], "--shard-rows", "100",
          "--out", spark.toString()), err.toString());
      assertEquals(Files.readString(match), Files.readString(spark), mode[0] + ", seed " + seed);
    }
  }

  /** Rows [from, from + n) of predictions. */
  private static Predictions rows(Predictions p, int from, int n) {
    int[] q = new int[n];
    int[] r = new int[n];
    float[] s = new float[n];
    for (int i = 0; i < n; i++) {
      q[i] = p.queryIndex(from + i);
      r[i] = p.referenceIndex(from + i);
      s[i] = p.score(from + i);
    }
    return new Predictions(p.queryIds(), p.referenceIds(), q, r, s);
  }

  /** Each row as query,reference. */
  private static List<String> ids(Predictions p) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < p.size(); i++) {
      ids.add(p.queryId(i) + "," + p.referenceId(i));
    }
    return ids;
  }

  private static float[] scores(Predictions p) {
    float[] s = new float[p.size()];
    for (int i = 0; i < s.length; i++) {
      s[i] = p.score(i);
    }
    return s;
  }

  /**
   * The same ranking. Exact scores (small integers): the same rows and scores, equal scores in the
   * same order. Float scores of unit vectors: the kernel's float32 sums depend on how many rows it
   * is given at once, so scores agree to 1e-6, and two rows may trade places only where their
   * scores are that close (or at the end of the list, with a row that just missed it).
   */
  private static void assertSameRanking(List<String> expectedRows, float[] expectedScores, List<String> actualRows,
      float[] actualScores, boolean exact, String what) {
    assertEquals(expectedRows.size(), actualRows.size(), what);
    if (exact) {
      assertEquals(expectedRows, actualRows, what);
      for (int i = 0; i < expectedScores.length; i++) {
        assertEquals(expectedScores[i], actualScores[i], 0f, what + ", rank " + i);  // -0.0 equals 0.0 here
      }
      return;
    }
    int n = expectedScores.length;
    for (int i = 0; i < n; i++) {
      double tolerance = 1e-6;
      String at = what + ", rank " + i;
      assertEquals(expectedScores[i], actualScores[i], tolerance, at);
      if (!expectedRows.get(i).equals(actualRows.get(i))) {
        boolean closeToANeighbour = i == n - 1
            || (i > 0 && Math.abs(expectedScores[i - 1] - expectedScores[i]) <= 2 * tolerance)
            || Math.abs(expectedScores[i + 1] - expectedScores[i]) <= 2 * tolerance;
        assertTrue(closeToANeighbour, at + ": " + actualRows.get(i) + " instead of " + expectedRows.get(i)
            + " though no other score is within " + tolerance);
      }
    }
  }

  private static void assertMaxAbsoluteError(Tensor actual, Tensor expected, double tolerance, String what) {
    double[] a = TensorAssert.values(actual);
    double[] e = TensorAssert.values(expected);
    assertArrayEquals(TensorAssert.shape(expected), TensorAssert.shape(actual), what);
    for (int i = 0; i < a.length; i++) {
      assertEquals(e[i], a[i], tolerance, what + ", value " + i);
    }
  }
}
