package org.iscengine.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Probabilities of the combinators over many draws, and the presets end to end. */
class CompositionTest {
  private static final Resources RES = new Resources(ImagePool.empty(), Fonts.system(), EmojiSet.generated());

  /** Records which transforms ran, without touching pixels. */
  private static Transform tag(String name, List<String> log) {
    return (image, rng, res) -> {
      log.add(name);
      return image;
    };
  }

  /** Within 4.5 standard deviations of the expected count. */
  private static void assertRate(int hits, int draws, double p, String what) {
    double sd = Math.sqrt(draws * p * (1 - p));
    assertTrue(Math.abs(hits - draws * p) <= 4.5 * sd + 1, what + ": " + hits + " of " + draws + ", expected p=" + p);
  }

  @Test
  void maybeAppliesWithItsProbability() {
    List<String> log = new ArrayList<>();
    Transform t = Compose.maybe(0.3, tag("x", log));
    try (Mat m = TestImages.natural(1, 8, 8)) {
      for (long s = 0; s < 4000; s++) {
        t.apply(m, new Rng(s), RES);
      }
    }
    assertRate(log.size(), 4000, 0.3, "maybe(0.3)");
  }

  @Test
  void oneOfFollowsItsWeights() {
    List<String> log = new ArrayList<>();
    Transform t = Compose.oneOf(List.of(tag("a", log), tag("b", log), tag("c", log)), new double[] {1, 2, 7});
    try (Mat m = TestImages.natural(1, 8, 8)) {
      for (long s = 0; s < 5000; s++) {
        t.apply(m, new Rng(s), RES);
      }
    }
    Map<String, Integer> counts = new HashMap<>();
    log.forEach(n -> counts.merge(n, 1, Integer::sum));
    assertEquals(5000, log.size(), "exactly one option per draw");
    assertRate(counts.get("a"), 5000, 0.1, "a");
    assertRate(counts.get("b"), 5000, 0.2, "b");
    assertRate(counts.get("c"), 5000, 0.7, "c");
  }

  @Test
  void shuffledRunsEveryStepInEveryOrder() {
    Set<String> orders = new HashSet<>();
    try (Mat m = TestImages.natural(1, 8, 8)) {
      for (long s = 0; s < 600; s++) {
        List<String> log = new ArrayList<>();
        Compose.shuffled(List.of(tag("a", log), tag("b", log), tag("c", log))).apply(m, new Rng(s), RES);
        assertEquals(3, log.size());
        orders.add(String.join("", log));
      }
    }
    assertEquals(6, orders.size(), "all 3! orders appear: " + orders);
  }

  static List<String> presets() {
    return Presets.NAMES;
  }

  @ParameterizedTest
  @MethodSource("presets")
  void presetsGiveTheirSizeDeterministically(String name) {
    Augmenter a = Augmenter.preset(name, 96, RES);
    try (Mat source = TestImages.natural(5, 150, 110)) {
      byte[] previous = null;
      for (long seed = 0; seed < 12; seed++) {
        try (Mat x = a.apply(source, seed);
            Mat y = a.apply(source, seed)) {
          assertEquals(96, x.cols(), name);
          assertEquals(96, x.rows(), name);
          assertArrayEquals(TestImages.bytes(x), TestImages.bytes(y), name + " seed " + seed);
          if (previous != null) {
            assertFalse(java.util.Arrays.equals(previous, TestImages.bytes(x)), name + ": seeds give different copies");
          }
          previous = TestImages.bytes(x);
        }
      }
    }
  }
}
