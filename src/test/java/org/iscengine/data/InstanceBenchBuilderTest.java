package org.iscengine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.augment.Rng;
import org.iscengine.eval.RevisitedEvaluation;
import org.iscengine.eval.RevisitedGroundTruth;
import org.iscengine.image.Images;
import org.iscengine.match.Predictions;
import org.iscengine.progress.Progress;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstanceBenchBuilderTest {
  @TempDir static Path work;
  static PhotoLibrary library;
  static final InstanceBenchBuilder.Options OPTIONS = new InstanceBenchBuilder.Options(5, 6, 10, 3);

  @BeforeAll
  static void library() {
    library = SyntheticPhotos.library(work, 2, 20);
  }

  private static InstanceBenchBuilder.Result build(Path out, InstanceBenchBuilder.Options options) {
    return new InstanceBenchBuilder(library, options, Progress.none()).build(out);
  }

  @Test
  void buildsQueriesViewsAndARevisitedGroundTruthTheEvaluatorReads() throws Exception {
    Path out = work.resolve("bench");
    InstanceBenchBuilder.Result r = build(out, OPTIONS);
    assertEquals(5, r.queries());
    assertEquals(5 * 6 + 10, r.images());
    assertEquals(5 * 6, r.easy() + r.hard() + r.junk());
    assertTrue(r.easy() >= 5 && r.hard() >= 1 && r.junk() >= 1, r.toString());
    RevisitedGroundTruth truth = RevisitedGroundTruth.read(r.groundTruth());
    assertEquals(40, truth.images().size());
    Set<Integer> labelled = new HashSet<>();
    for (RevisitedGroundTruth.Entry e : truth.entries()) {
      assertTrue(e.easy().length >= 1, "every query has a view it shows clearly");
      for (int[] list : new int[][] {e.easy(), e.hard(), e.junk()}) {
        for (int i : list) {
          assertTrue(labelled.add(i), "a view belongs to one query, once");
        }
      }
    }
    for (String id : truth.images()) {
      try (Mat view = Images.read(out.resolve("images").resolve(id + ".jpg"))) {
        assertEquals(160, Math.max(view.cols(), view.rows()));
      }
    }
    assertTrue(Files.size(out.resolve("preview.png")) > 1000);

    // Ranking each query's easy views, then its hard ones, first gives mAP 1 under Easy and Medium.
    List<String> queries = truth.queries();
    List<Integer> q = new ArrayList<>();
    List<Integer> d = new ArrayList<>();
    List<Float> s = new ArrayList<>();
    for (int k = 0; k < queries.size(); k++) {
      RevisitedGroundTruth.Entry e = truth.entries().get(k);
      float score = 1;
      for (int[] list : new int[][] {e.easy(), e.hard()}) {
        for (int i : list) {
          q.add(k);
          d.add(i);
          s.add(score -= 0.01f);
        }
      }
    }
    Predictions ideal = new Predictions(queries, truth.images(), q.stream().mapToInt(i -> i).toArray(),
        d.stream().mapToInt(i -> i).toArray(), toArray(s));
    Map<RevisitedEvaluation.Protocol, RevisitedEvaluation.ProtocolMetrics> m = RevisitedEvaluation.evaluate(ideal, truth);
    assertEquals(1.0, m.get(RevisitedEvaluation.Protocol.EASY).meanAveragePrecision(), 1e-9);
    assertEquals(1.0, m.get(RevisitedEvaluation.Protocol.MEDIUM).meanAveragePrecision(), 1e-9);
  }

  @Test
  void theSameSeedBuildsTheSameFilesAndOtherSettingsAreRefused() throws Exception {
    Path a = work.resolve("a");
    Path b = work.resolve("b");
    build(a, OPTIONS);
    build(b, OPTIONS);
    try (Stream<Path> walk = Files.walk(a)) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(b.resolve(a.relativize(f))), f.toString());
      }
    }
    assertThrows(OtherBuildException.class, () -> build(a, new InstanceBenchBuilder.Options(5, 6, 10, 4)));
    assertThrows(IllegalArgumentException.class, () -> new InstanceBenchBuilder.Options(5, 2, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> build(work.resolve("c"),
        new InstanceBenchBuilder.Options(40, 6, 0, 0)), "more instances than photos");
  }

  @Test
  void everyInstanceHasASourceImageOfItsOwnThatGivesNoDistractor(@TempDir Path dir) throws Exception {
    // Tiles of one source image are often the panels of one figure (an image beside its edited
    // self): a distractor or another instance cut from an instance's image may show that instance.
    PhotoLibrary tiled = SyntheticPhotos.tiledLibrary(dir.resolve("tiled"), 2, 16, 140, 270, 400, 530);
    Map<String, String> sourceOf = SyntheticPhotos.sourceOf(tiled);
    for (long seed = 1; seed <= 4; seed++) {
      Path out = dir.resolve("bench-" + seed);
      new InstanceBenchBuilder(tiled, new InstanceBenchBuilder.Options(6, 3, 20, seed), Progress.none()).build(out);
      List<String> used = new ArrayList<>();
      new ObjectMapper().readTree(out.resolve("manifest.json").toFile()).get("sources")
          .forEach(f -> used.add(f.asText()));
      Set<String> instanceSources = new HashSet<>();
      used.subList(0, 6).forEach(f -> instanceSources.add(sourceOf.get(f)));
      assertEquals(6, instanceSources.size(), "seed " + seed + ": two instances share a source image: " + used);
      for (String distractor : used.subList(6, used.size())) {
        assertFalse(instanceSources.contains(sourceOf.get(distractor)), "seed " + seed + ": distractor " + distractor
            + " is cut from " + sourceOf.get(distractor) + ", which gives an instance");
      }
      assertEquals(used.size(), new HashSet<>(used).size(), "distinct photos");
      assertEquals(6 * 3 + 20, RevisitedGroundTruth.read(out.resolve(InstanceBenchBuilder.GROUND_TRUTH)).images().size());
    }
    int sources = new HashSet<>(sourceOf.values()).size();
    var e = assertThrows(IllegalArgumentException.class, () -> new InstanceBenchBuilder(tiled,
        new InstanceBenchBuilder.Options(sources, 3, 5, 1), Progress.none()).build(dir.resolve("crowded")));
    assertTrue(e.getMessage().contains(sources + " source images"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("crowded")), "nothing written");
  }

  @Test
  void coverageIsTheShareOfTheQueryRegionAViewShows() {
    assertEquals(1.0, InstanceBenchBuilder.coverage(new int[] {0, 0, 100, 100}, new int[] {10, 10, 20, 20}));
    assertEquals(0.5, InstanceBenchBuilder.coverage(new int[] {0, 0, 20, 100}, new int[] {10, 10, 20, 20}), 1e-12);
    assertEquals(0.0, InstanceBenchBuilder.coverage(new int[] {50, 50, 10, 10}, new int[] {0, 0, 20, 20}));
    Rng rng = new Rng(5);
    for (int i = 0; i < 100; i++) {
      int[] r = InstanceBenchBuilder.rect(rng, 170, 140, 0.4, 0.9);
      assertTrue(r[0] >= 0 && r[1] >= 0 && r[0] + r[2] <= 170 && r[1] + r[3] <= 140, "inside the photo");
    }
  }

  private static float[] toArray(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
