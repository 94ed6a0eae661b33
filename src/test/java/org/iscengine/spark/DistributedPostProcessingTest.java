package org.iscengine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.iscengine.cli.IscCli;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.descriptor.Pca;
import org.iscengine.descriptor.PostProcessConfig;
import org.iscengine.descriptor.PostProcessor;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Post-processing as Spark jobs on local[2] (a failed task tried twice) against {@link
 * PostProcessor} in one process on the same descriptors: files of odd sizes, raw (unnormalised,
 * off-centre) rows, every step and several shardings.
 */
class DistributedPostProcessingTest {
  private static final int DIM = 12;
  private static final double TOLERANCE = 1e-5;

  private static SparkSessions.Lease spark;

  @TempDir Path dir;
  private final long seed = RandomTensors.freshSeed();

  @BeforeAll
  static void start() {
    spark = SparkSessions.open("local[2,2]", "isc-test", Map.of("spark.sql.shuffle.partitions", "2"));
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.close();
    }
  }

  @AfterEach
  void noFaults() {
    TaskFaults.set(null);
  }

  /** Descriptor files of the given sizes, ids PREFIX0, PREFIX1, ... across them. */
  private List<Path> files(String prefix, long fileSeed, int... sizes) {
    List<Path> files = new ArrayList<>();
    int offset = 0;
    for (int f = 0; f < sizes.length; f++) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < sizes[f]; i++) {
        ids.add(prefix + (offset + i));
      }
      Path file = dir.resolve(prefix + f + ".h5");
      try (Descriptors d = new Descriptors(ids, RandomTensors.uniform(fileSeed + f, -0.5, 1.5, sizes[f], DIM))) {
        DescriptorFiles.write(file, d);
      }
      files.add(file);
      offset += sizes[f];
    }
    return files;
  }

  private record Inputs(List<Path> queries, List<Path> references, List<Path> training) {}

  private Inputs inputs() {
    return new Inputs(files("Q", seed, 9, 14), files("R", seed + 10, 20, 3, 27), files("T", seed + 20, 61, 44));
  }

  /** The distributed result equals the single-process one, set by set, within float32 rounding. */
  private void assertSameAsOneProcess(PostProcessConfig config, Inputs in, Integer shardRows, String what) {
    Path out = dir.resolve("out-" + Math.abs(what.hashCode()));
    DistributedPostProcessing.Result result = new DistributedPostProcessing(spark.session(), config, shardRows, 7)
        .run(in.queries(), in.references(), in.training(), out);
    try (Descriptors q = DescriptorFiles.read(in.queries());
        Descriptors r = DescriptorFiles.read(in.references());
        Descriptors t = DescriptorFiles.read(in.training());
        PostProcessor.Output expected = new PostProcessor(config, ComputeDevice.CPU).run(q, r, t);
        Descriptors queries = DescriptorFiles.read(result.queries());
        Descriptors references = DescriptorFiles.read(result.references())) {
      assertEquals(expected.queries().dim(), result.dimension(), what);
      assertClose(expected.queries(), queries, what + ", queries");
      assertClose(expected.references(), references, what + ", references");
      assertEquals(config.pca(), result.pca().isPresent(), what);
      result.pca().ifPresent(file -> {
        try (Pca pca = Pca.load(file)) {
          double[] expectedValues = expected.pca().orElseThrow().eigenvalues();
          double[] values = pca.eigenvalues();
          for (int i = 0; i < values.length; i++) {
            assertEquals(expectedValues[i], values[i], 1e-12 * expectedValues[0], what + ", eigenvalue " + i);
          }
        }
      });
    }
    assertFalse(Files.exists(out.resolve(".work")), "the work folder is removed");
  }

  private void assertClose(Descriptors expected, Descriptors actual, String what) {
    assertEquals(expected.ids(), actual.ids(), what);
    double[] e = TensorAssert.values(expected.vectors());
    double[] a = TensorAssert.values(actual.vectors());
    assertEquals(e.length, a.length, what);
    for (int i = 0; i < e.length; i++) {
      assertEquals(e[i], a[i], TOLERANCE, what + ", row " + i / actual.dim() + ", seed " + seed);
    }
  }

  @Test
  void theDescriptorTrackWinnersStepsEqualOneProcess() {
    Inputs in = inputs();
    assertSameAsOneProcess(PostProcessConfig.recipe("lyakaap"), in, null, "lyakaap, a shard per file");
    assertSameAsOneProcess(PostProcessConfig.recipe("lyakaap"), in, 8, "lyakaap, shards of 8 rows");
  }

  @Test
  void whiteningAndScoreNormalizationEqualOneProcess() {
    Inputs in = inputs();
    assertSameAsOneProcess(PostProcessConfig.recipe("d2lv"), in, 16, "d2lv, shards of 16 rows");
    assertSameAsOneProcess(PostProcessConfig.recipe("sscd"), in, null, "sscd, a shard per file");
  }

  @Test
  void everyStepAtOnceEqualsOneProcess() {
    // PCA to 7 dimensions, DBA with a fractional exponent, NES twice, score normalization of ranks 1..3.
    PostProcessConfig all = new PostProcessConfig(true, 7, false, 5, 0.5, 4, 0.2, 2, "1.5[1,3]");
    assertSameAsOneProcess(all, inputs(), 5, "every step, shards of 5 rows");
  }

  @Test
  void aTaskThatFailsOnceIsRetriedAndTheOutputIsWhole() {
    // Each shard's first search and first sum fail once; their second attempts go through.
    Set<String> failed = ConcurrentHashMap.newKeySet();
    TaskFaults.set(point -> {
      if ((point.endsWith(" summed") || point.endsWith(" searched")) && failed.add(point)) {
        throw new IllegalStateException("injected failure at " + point);
      }
    });
    assertSameAsOneProcess(PostProcessConfig.recipe("lyakaap"), inputs(), 20, "lyakaap with failing tasks");
    // Training files of 61 and 44 rows in shards of at most 20: 7 shards.
    assertEquals(14, failed.size(), "a search and a sum of each of the 7 training shards failed once: " + failed);
  }

  @Test
  void tooFewTrainingDescriptorsForTheStepsIsAnErrorNamingTheStep() {
    Inputs in = inputs();
    PostProcessConfig wide = new PostProcessConfig(true, 0, false, 200, 3, 0, 0.35, 1, "");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new DistributedPostProcessing(spark.session(), wide, null, 7)
            .run(in.queries(), in.references(), in.training(), dir.resolve("out")));
    assertTrue(e.getMessage().contains("DBA k = 200 needs more than the 105 training descriptors"), e.getMessage());
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> new DistributedPostProcessing(spark.session(), PostProcessConfig.recipe("lyakaap"), null, 7)
            .run(in.queries(), in.references(), null, dir.resolve("out")));
    assertTrue(none.getMessage().contains("need training descriptors"), none.getMessage());
  }

  @Test
  void theCommandTakesIscPostprocessSettingsAndWritesFilesEveryCommandReads() throws Exception {
    Inputs in = inputs();
    Path out = dir.resolve("cli");
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    int code = IscCli.run(new PrintWriter(stdout, true), new PrintWriter(stderr, true), "spark", "postprocess",
        "--queries", join(in.queries()), "--references", join(in.references()), "--training", join(in.training()),
        "--recipe", "d2lv", "--pca", "6", "--score-norm", "none", "--shard-rows", "25", "--out", out.toString(),
        "--json");
    assertEquals(0, code, stderr.toString());
    assertTrue(stdout.toString().contains("\"dimension\":6"), stdout.toString());
    Path single = dir.resolve("single");
    assertEquals(0, IscCli.run(new PrintWriter(new StringWriter(), true), new PrintWriter(stderr, true),
        "postprocess", "--queries", join(in.queries()), "--references", join(in.references()), "--training",
        join(in.training()), "--recipe", "d2lv", "--pca", "6", "--score-norm", "none",
        "--out-queries", single + "-q.h5", "--out-references", single + "-r.h5"), stderr.toString());
    try (Descriptors expected = DescriptorFiles.read(Path.of(single + "-r.h5"));
        Descriptors actual = DescriptorFiles.read(shards(out.resolve("references")))) {
      assertClose(expected, actual, "isc spark postprocess against isc postprocess");
    }
    assertTrue(Files.isRegularFile(out.resolve("pca.h5")));
  }

  private static List<Path> shards(Path folder) throws Exception {
    try (var files = Files.list(folder)) {
      return files.sorted().toList();
    }
  }

  private static String join(List<Path> files) {
    return String.join(",", files.stream().map(Path::toString).toList());
  }

}
