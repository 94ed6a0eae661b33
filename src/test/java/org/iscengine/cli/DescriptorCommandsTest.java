package org.iscengine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.match.Predictions;
import org.iscengine.match.PredictionsCsv;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** isc postprocess, isc match and isc evaluate, chained on a small synthetic case. */
class DescriptorCommandsTest extends CommandTest {
  /** 40 references; queries 0-9 are noisy copies of references 0-9, queries 10-14 distractors. */
  @BeforeEach
  void writeCase() {
    long seed = RandomTensors.freshSeed();
    try (Tensor refs = RandomTensors.uniform(seed, -1, 1, 40, 16);
        Tensor noise = RandomTensors.uniform(seed + 1, -0.3, 0.3, 10, 16);
        Tensor distractors = RandomTensors.uniform(seed + 2, -1, 1, 5, 16);
        Tensor train = RandomTensors.uniform(seed + 3, -1, 1, 60, 16);
        Tensor head = refs.narrow(0, 0, 10);
        Tensor copies = head.add(noise, new Scalar(1.0));
        Tensor queries = org.bytedeco.pytorch.global.torch.cat(new org.bytedeco.pytorch.TensorVector(copies,
            distractors))) {
      write("q.h5", ids("Q%05d", 15), queries);
      write("r.h5", ids("R%06d", 40), refs);
      write("t.h5", ids("T%06d", 60), train);
    }
    StringBuilder gt = new StringBuilder("query_id,reference_id\n");
    for (int q = 0; q < 15; q++) {
      gt.append(String.format("Q%05d,%s%n", q, q < 10 ? String.format("R%06d", q) : ""));
    }
    try {
      Files.writeString(dir.resolve("gt.csv"), gt);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private void write(String name, List<String> ids, Tensor vectors) {
    try (Descriptors d = new Descriptors(ids, vectors.clone())) {
      DescriptorFiles.write(dir.resolve(name), d);
    }
  }

  private static List<String> ids(String format, int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(String.format(format, i));
    }
    return ids;
  }

  @Test
  void postprocessMatchAndEvaluateChain() throws Exception {
    assertEquals(0, cli.run("postprocess", "--queries", path("q.h5"), "--references", path("r.h5"), "--training",
        path("t.h5"), "--recipe", "sscd", "--dba-k", "5", "--nes-k", "5", "--submission", path("sub.h5"),
        "--save-pca", path("pca.h5"), "--device", "cpu", "--json"), cli::err);
    JsonNode summary = new ObjectMapper().readTree(cli.out());
    assertEquals(17, summary.get("dimension").asInt(), "16 + the score normalization dimension");
    assertTrue(Files.isRegularFile(dir.resolve("pca.h5")));

    assertEquals(0, cli.run("descriptors", path("sub.h5"), "--json"), cli::err);
    JsonNode described = new ObjectMapper().readTree(cli.out());
    assertEquals("submission", described.get("kind").asText());
    assertEquals(40, described.get("references").asInt());
    assertEquals(1, cli.run("descriptors", path("q.h5"), "--rules"), "rules apply to submissions only");
    assertTrue(cli.err().contains("split file"), cli::err);
    assertEquals(0, cli.run("descriptors", path("sub.h5"), "--rules"), cli::err);

    assertEquals(0, cli.run("match", "--submission", path("sub.h5"), "--metric", "ip", "--max-results", "100", "--out",
        path("pred.csv"), "--device", "cpu"), cli::err);
    assertEquals(101, Files.readAllLines(dir.resolve("pred.csv")).size());

    assertEquals(0, cli.run("evaluate", "--predictions", path("pred.csv"), "--ground-truth", path("gt.csv"), "--json"),
        cli::err);
    JsonNode metrics = new ObjectMapper().readTree(cli.out()).get("metrics");
    double ap = metrics.get("microAveragePrecision").asDouble();
    assertTrue(ap > 0.5 && ap <= 1, "the copies are found: " + metrics);
    assertEquals(10, metrics.get("groundTruthMatches").asInt());
    byte[] png = Files.readAllBytes(dir.resolve("pred.pr.png"));
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
    assertTrue(Files.isRegularFile(dir.resolve("pred.metrics.json")));

    assertEquals(0, cli.run("match", "--queries", path("q.h5"), "--references", path("r.h5"), "--k", "3", "--out",
        path("knn.csv")), cli::err);
    assertEquals(1 + 15 * 3, Files.readAllLines(dir.resolve("knn.csv")).size());
    assertEquals(0, cli.run("match", "--queries", path("q.h5"), "--references", path("r.h5"), "--k", "3",
        "--relative-to-rank", "3", "--out", path("rel.csv")), cli::err);
    List<String> rel = Files.readAllLines(dir.resolve("rel.csv"));
    assertEquals(1 + 15 * 2, rel.size());
    assertTrue(rel.stream().skip(1).allMatch(line -> Double.parseDouble(line.split(",")[2]) >= 0), "s - s3 >= 0");

    // Fused with itself by the weighted mean, a system keeps its scores, so its μAP.
    assertEquals(0, cli.run("ensemble", "--predictions", path("knn.csv") + "," + path("knn.csv"), "--weights", "1,2",
        "--out", path("fused.csv"), "--json"), cli::err);
    assertEquals(15 * 3, new ObjectMapper().readTree(cli.out()).get("predictions").asInt());
    assertEquals(microAp("knn.csv"), microAp("fused.csv"), 1e-6);
    assertEquals(2, cli.run("ensemble", "--predictions", path("knn.csv") + "," + path("rel.csv"), "--weights", "1",
        "--out", path("bad.csv")));

    // A deep candidate list keeps the pairs past the rank; fused per query, relative to the second best.
    assertEquals(0, cli.run("match", "--queries", path("q.h5"), "--references", path("r.h5"), "--k", "5",
        "--relative-to-rank", "3", "--keep", "5", "--out", path("deep.csv")), cli::err);
    Predictions deep = PredictionsCsv.read(dir.resolve("deep.csv"));
    assertEquals(15 * 5, deep.size());
    int[] ranks = deep.ranks();
    for (int i = 0; i < deep.size(); i++) {
      assertEquals(ranks[i] >= 3, deep.score(i) <= 0, "rank " + ranks[i] + " scores " + deep.score(i));
    }
    assertEquals(0, cli.run("ensemble", "--predictions", path("deep.csv") + "," + path("knn.csv"), "--k", "4",
        "--relative-to-rank", "2", "--keep", "4", "--out", path("margin.csv")), cli::err);
    Predictions margin = PredictionsCsv.read(dir.resolve("margin.csv"));
    assertEquals(15 * 4, margin.size());
    int[] marginRanks = margin.ranks();
    for (int i = 0; i < margin.size(); i++) {
      assertTrue(marginRanks[i] == 1 ? margin.score(i) >= 0 : margin.score(i) <= 0, "rank " + marginRanks[i]);
    }
    assertEquals(2, cli.run("match", "--queries", path("q.h5"), "--references", path("r.h5"), "--k", "5",
        "--relative-to-rank", "3", "--keep", "1", "--out", path("bad.csv")));
    assertTrue(cli.err().contains("--keep needs --relative-to-rank R and a count from R - 1 to k"), cli::err);
    assertEquals(2, cli.run("ensemble", "--predictions", path("deep.csv") + "," + path("knn.csv"),
        "--relative-to-rank", "2", "--out", path("bad.csv")));
    assertTrue(cli.err().contains("--relative-to-rank needs --k"), cli::err);
    assertEquals(2, cli.run("ensemble", "--predictions", path("deep.csv") + "," + path("knn.csv"), "--k", "3",
        "--verify", path("images"), "--out", path("bad.csv")));
    assertTrue(cli.err().contains("--verify takes two folders"), cli::err);
    assertFalse(Files.exists(dir.resolve("bad.csv")));
  }

  @Test
  void matchingPartsScoresEachImagePairByItsBestParts() throws Exception {
    // Two parts per query (the copy and a distractor), three per reference: the copies are still found.
    long seed = RandomTensors.freshSeed();
    try (Descriptors q = DescriptorFiles.read(dir.resolve("q.h5"));
        Descriptors r = DescriptorFiles.read(dir.resolve("r.h5"));
        Tensor noise = RandomTensors.uniform(seed, -1, 1, 15, 16);
        Tensor refNoise = RandomTensors.uniform(seed + 1, -1, 1, 80, 16);
        Tensor queries = org.bytedeco.pytorch.global.torch.cat(new org.bytedeco.pytorch.TensorVector(q.vectors(),
            noise));
        Tensor references = org.bytedeco.pytorch.global.torch.cat(new org.bytedeco.pytorch.TensorVector(
            r.vectors(), refNoise))) {
      List<String> queryIds = new ArrayList<>();
      q.ids().forEach(id -> queryIds.add(id + "#0"));
      q.ids().forEach(id -> queryIds.add(id + "#1"));
      List<String> referenceIds = new ArrayList<>();
      r.ids().forEach(id -> referenceIds.add(id + "#0"));
      r.ids().forEach(id -> referenceIds.add(id + "#1"));
      r.ids().forEach(id -> referenceIds.add(id + "#2"));
      write("qp.h5", queryIds, queries);
      write("rp.h5", referenceIds, references);
    }
    assertEquals(0, cli.run("match", "--queries", path("qp.h5"), "--references", path("rp.h5"), "--k", "5", "--parts",
        "--out", path("parts.csv"), "--json"), cli::err);
    JsonNode result = new ObjectMapper().readTree(cli.out());
    assertEquals(6.0, result.get("searchFactor").asDouble(), 1e-9, cli.out());
    List<String> lines = Files.readAllLines(dir.resolve("parts.csv"));
    assertTrue(lines.stream().skip(1).noneMatch(line -> line.contains("#")), "image ids, not part ids");
    assertTrue(microAp("parts.csv") > 0.5, "each copy found through its part");
  }

  private double microAp(String predictions) throws Exception {
    assertEquals(0, cli.run("evaluate", "--predictions", path(predictions), "--ground-truth", path("gt.csv"), "--json"),
        cli::err);
    return new ObjectMapper().readTree(cli.out()).at("/metrics/microAveragePrecision").asDouble();
  }

  @Test
  void anOutputThatIsAnInputIsRefusedBeforeAnythingIsWritten() throws Exception {
    byte[] queries = Files.readAllBytes(dir.resolve("q.h5"));
    byte[] references = Files.readAllBytes(dir.resolve("r.h5"));
    assertEquals(1, cli.run("postprocess", "--recipe", "none", "--queries", path("q.h5"), "--references", path("r.h5"),
        "--out-queries", path("q.h5"), "--out-references", path("b.h5"), "--device", "cpu"));
    assertTrue(cli.err().contains("--out-queries") && cli.err().contains("--queries"), cli::err);
    Files.createSymbolicLink(dir.resolve("link.h5"), dir.resolve("r.h5"));
    assertEquals(1, cli.run("postprocess", "--recipe", "none", "--queries", path("q.h5"), "--references", path("r.h5"),
        "--submission", path("link.h5"), "--device", "cpu"));
    assertTrue(cli.err().contains("--submission") && cli.err().contains("--references"), cli::err);
    assertEquals(1, cli.run("postprocess", "--recipe", "none", "--queries", path("q.h5"), "--references", path("r.h5"),
        "--out-queries", path("b.h5"), "--out-references", path("b.h5"), "--device", "cpu"));
    assertTrue(cli.err().contains("--out-references") && cli.err().contains("--out-queries"), cli::err);
    assertEquals(1, cli.run("match", "--queries", path("q.h5"), "--references", path("r.h5"), "--out", path("r.h5"),
        "--device", "cpu"));
    assertTrue(cli.err().contains("--out") && cli.err().contains("--references"), cli::err);
    assertEquals(1, cli.run("evaluate", "--predictions", path("pred.csv"), "--ground-truth", path("gt.csv"), "--plot",
        path("gt.csv")));
    assertTrue(cli.err().contains("--plot") && cli.err().contains("--ground-truth"), cli::err);
    assertArrayEquals(queries, Files.readAllBytes(dir.resolve("q.h5")));
    assertArrayEquals(references, Files.readAllBytes(dir.resolve("r.h5")));
    assertFalse(Files.exists(dir.resolve("b.h5")));
    assertFalse(Files.exists(dir.resolve("pred.metrics.json")));
  }

  @Test
  void badInputsFailWithTheirNameAndWriteNothing() {
    assertEquals(1, cli.run("postprocess", "--queries", path("missing.h5"), "--references", path("r.h5"), "--training",
        path("t.h5"), "--out-queries", path("a.h5"), "--out-references", path("b.h5")));
    assertTrue(cli.err().contains("missing.h5: no such file"), cli::err);
    assertFalse(Files.exists(dir.resolve("a.h5")));
    assertEquals(1, cli.run("postprocess", "--queries", path("q.h5"), "--references", path("r.h5"), "--training",
        path("t.h5"), "--score-norm", "2(0)", "--out-queries", path("a.h5"), "--out-references", path("b.h5")));
    assertTrue(cli.err().contains("'2(0)'"), cli::err);
    assertEquals(2, cli.run("postprocess", "--queries", path("q.h5"), "--references", path("r.h5")));
    assertEquals(2, cli.run("match", "--queries", path("q.h5"), "--submission", path("s.h5"), "--out", path("p.csv")));
    assertEquals(2, cli.run("match", "--queries", path("q.h5"), "--references", path("r.h5"), "--metric", "cosine",
        "--out", path("p.csv")));
    assertTrue(cli.err().contains("cosine"), cli::err);
    assertEquals(2, cli.run("match", "--queries", path("q.h5"), "--references", path("r.h5"), "--relative-to-rank", "3",
        "--out", path("p.csv")));
    assertTrue(cli.err().contains("--relative-to-rank needs --k"), cli::err);
    assertEquals(2, cli.run("match", "--queries", path("q.h5"), "--references", path("r.h5"), "--k", "3",
        "--relative-to-rank", "4", "--out", path("p.csv")));
    assertEquals(2, cli.run("match", "--queries", path("q.h5"), "--references", path("r.h5"), "--k", "3", "--verify",
        path("images"), "--out", path("p.csv")));
    assertTrue(cli.err().contains("--verify takes two folders"), cli::err);
    assertEquals(2, cli.run("match", "--queries", path("q.h5"), "--references", path("r.h5"), "--k", "3", "--verify",
        path("qi") + "," + path("ri"), "--verify-min-inliers", "2", "--out", path("p.csv")));
    assertTrue(cli.err().contains("minInliers >= 3"), cli::err);
    assertFalse(Files.exists(dir.resolve("p.csv")));
    assertEquals(1, cli.run("evaluate", "--predictions", path("none.csv"), "--ground-truth", path("gt.csv")));
    assertTrue(cli.err().contains("none.csv: no such file"), cli::err);
  }
}
