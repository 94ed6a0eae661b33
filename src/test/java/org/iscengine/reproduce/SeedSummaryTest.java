package org.iscengine.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.iscengine.eval.GroundTruth;
import org.iscengine.eval.IscEvaluation;
import org.iscengine.match.Predictions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeedSummaryTest {
  private final Random random = new Random();

  /** A random evaluation: 40 queries, half copies, 5 scored references each. */
  private IscEvaluation.Result evaluation() {
    List<String> queries = new ArrayList<>();
    List<String> references = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      queries.add("Q" + i);
      references.add("R" + i);
    }
    List<GroundTruth.Match> matches = new ArrayList<>();
    for (int q = 0; q < 40; q += 2) {
      matches.add(new GroundTruth.Match("Q" + q, "R" + q));
    }
    int[] qi = new int[200];
    int[] ri = new int[200];
    float[] score = new float[200];
    for (int i = 0; i < 200; i++) {
      qi[i] = i / 5;
      ri[i] = (qi[i] + i % 5) % 40;  // the query's own index first: the copy when it has one
      score[i] = random.nextFloat() + (i % 5 == 0 ? random.nextFloat() : 0);
    }
    return IscEvaluation.evaluate(new Predictions(queries, references, qi, ri, score),
        new GroundTruth(new HashSet<>(queries), matches));
  }

  private Map<Long, Reproduction.Outcome> runs(int n) {
    Map<Long, Reproduction.Outcome> runs = new LinkedHashMap<>();
    for (long s = 0; s < n; s++) {
      Map<String, IscEvaluation.Result> results = new LinkedHashMap<>();
      results.put("a", evaluation());
      results.put("b", evaluation());
      runs.put(s + 7, new Reproduction.Outcome(results, Map.of(), Path.of("report.md")));
    }
    return runs;
  }

  @Test
  void spreadIsTheMeanAndSampleDeviationOverSeeds(@TempDir Path dir) throws Exception {
    Map<Long, Reproduction.Outcome> runs = runs(3);
    List<SeedSummary.SystemSpread> spreads = SeedSummary.spreads(runs);
    assertEquals(List.of("a", "b"), spreads.stream().map(SeedSummary.SystemSpread::system).toList());
    for (SeedSummary.SystemSpread s : spreads) {
      double[] v = runs.values().stream()
          .mapToDouble(o -> o.results().get(s.system()).metrics().microAveragePrecision()).toArray();
      double mean = (v[0] + v[1] + v[2]) / 3;
      double var = ((v[0] - mean) * (v[0] - mean) + (v[1] - mean) * (v[1] - mean) + (v[2] - mean) * (v[2] - mean)) / 2;
      assertEquals(mean, s.microAveragePrecision().mean(), 1e-12);
      assertEquals(Math.sqrt(var), s.microAveragePrecision().std(), 1e-12);
      assertEquals(Math.min(v[0], Math.min(v[1], v[2])), s.microAveragePrecision().min(), 0);
      assertEquals(Math.max(v[0], Math.max(v[1], v[2])), s.microAveragePrecision().max(), 0);
      assertTrue(s.microAveragePrecision().std() > 0, "random runs differ");
    }
    Path md = SeedSummary.write(dir, "mini", runs);
    String text = Files.readString(md);
    assertTrue(text.contains("seeds [7, 8, 9]"), text);
    assertTrue(text.contains(String.format(java.util.Locale.ROOT, "| a | %.4f ± %.4f |",
        spreads.get(0).microAveragePrecision().mean(), spreads.get(0).microAveragePrecision().std())), text);
    JsonNode json = new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
    assertEquals(3, json.at("/seeds").size());
    assertEquals(runs.get(8L).results().get("b").metrics().microAveragePrecision(),
        json.at("/runs/8/b/microAveragePrecision").asDouble(), 0);
  }

  @Test
  void oneSeedHasNoSpreadAndMissingSystemsAreNamed() {
    SeedSummary.SystemSpread one = SeedSummary.spreads(runs(1)).get(0);
    assertEquals(0, one.microAveragePrecision().std());
    Map<Long, Reproduction.Outcome> runs = runs(2);
    runs.get(8L).results().remove("b");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SeedSummary.spreads(runs));
    assertTrue(e.getMessage().contains("'b'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SeedSummary.spreads(Map.of()));
  }
}
