package org.iscengine.benchmarks;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.iscengine.eval.GroundTruth;
import org.iscengine.eval.IscEvaluation;
import org.iscengine.match.PredictionsCsv;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Evaluating ISC21 predictions end to end (reading the predictions CSV and the ground truth,
 * then μAP, recall@P90 and the rank recalls), on a phase-2-sized case: 50 000 queries of which
 * 10 000 copy one of 1 000 000 references, 10 predictions each (500 000 rows), scores with
 * ties. The files are written once into -p dir=FOLDER (a temporary one by default), where
 * benchmarks/eval/official_metric.py can time the same evaluation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
public class EvaluateBenchmark {
  @Param({""})
  public String dir;

  private Path predictions;
  private Path groundTruth;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    Path folder = dir.isEmpty() ? Files.createTempDirectory("isc-eval-bench") : Path.of(dir);
    Files.createDirectories(folder);
    predictions = folder.resolve("predictions.csv");
    groundTruth = folder.resolve("ground_truth.csv");
    if (!Files.exists(predictions) || !Files.exists(groundTruth)) {
      write(folder, 50_000, 10_000, 1_000_000, 10, new Random(0));
    }
  }

  /** queries Q00000..., the first `copies` of them (shuffled ids) copying a random reference. */
  static void write(Path folder, int queries, int copies, int references, int perQuery, Random random) {
    int[] truth = new int[queries];
    java.util.Arrays.fill(truth, -1);
    for (int q = 0; q < copies; q++) {
      truth[random.nextInt(queries)] = random.nextInt(references);
    }
    try (BufferedWriter gt = Files.newBufferedWriter(folder.resolve("ground_truth.csv"), StandardCharsets.UTF_8);
        BufferedWriter p = Files.newBufferedWriter(folder.resolve("predictions.csv"), StandardCharsets.UTF_8)) {
      gt.write("query_id,reference_id\n");
      p.write(PredictionsCsv.HEADER + "\n");
      for (int q = 0; q < queries; q++) {
        gt.write(String.format("Q%05d,%s%n", q, truth[q] < 0 ? "" : String.format("R%06d", truth[q])));
        // The match is found 70% of the time, mostly near the top; copies score higher than
        // distractors on average; scores on a 1/1000 grid (ties).
        int hitRank = -1;
        if (truth[q] >= 0 && random.nextDouble() < 0.7) {
          hitRank = 0;
          while (hitRank < perQuery - 1 && random.nextBoolean()) {
            hitRank++;
          }
        }
        double top = truth[q] >= 0 ? 0.6 + 0.4 * random.nextDouble() : 0.75 * random.nextDouble();
        java.util.Set<Integer> used = new java.util.HashSet<>();
        used.add(truth[q]);
        for (int k = 0; k < perQuery; k++) {
          int ref = truth[q];
          while (k != hitRank && used.contains(ref)) {
            ref = random.nextInt(references);  // distinct references: a repeated pair is an error
          }
          used.add(ref);
          double score = Math.round((top - 0.03 * k) * 1000) / 1000.0;
          p.write(String.format("Q%05d,R%06d,%s%n", q, ref, (float) score));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Benchmark
  public double evaluate() {
    return IscEvaluation.evaluate(PredictionsCsv.read(predictions), GroundTruth.read(groundTruth)).metrics()
        .microAveragePrecision();
  }
}
