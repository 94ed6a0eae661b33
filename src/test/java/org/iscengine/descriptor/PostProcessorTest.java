package org.iscengine.descriptor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.kernels.Tensors;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.iscengine.testing.TestDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostProcessorTest {
  private final long seed = RandomTensors.freshSeed();

  private static Descriptors random(long seed, String prefix, int n, int d) {
    return TestDescriptors.numbered(prefix, RandomTensors.uniform(seed, -1, 1, n, d));
  }

  /** What a test checks of a recipe's output, given its random inputs. */
  @FunctionalInterface
  private interface Check {
    void check(Descriptors queries, Descriptors references, Descriptors training, PostProcessor.Output out);
  }

  /** Random queries, references and training descriptors of dimension d, run through a recipe on the CPU. */
  private void afterRecipe(String recipe, int nq, int nr, int nt, int d, Check check) {
    try (Descriptors q = random(seed, "q", nq, d);
        Descriptors r = random(seed + 1, "r", nr, d);
        Descriptors t = random(seed + 2, "t", nt, d);
        PostProcessor.Output out = new PostProcessor(PostProcessConfig.recipe(recipe), ComputeDevice.CPU)
            .run(q, r, t)) {
      check.check(q, r, t, out);
    }
  }

  @Test
  void theWinnersRecipeEqualsItsStepsRunByHand() {
    afterRecipe("lyakaap", 19, 33, 57, 12, (q, r, t, out) -> {
      try (Tensor qn = Tensors.l2Normalize(q.vectors());
          Tensor tn = Tensors.l2Normalize(t.vectors());
          Tensor tDba = Dba.winner().apply(tn);
          Tensor expected = NegativeEmbeddingSubtraction.winner().apply(qn, tDba)) {
        TensorAssert.assertMaxRelativeError(out.queries().vectors(), expected, 1e-6, "queries (seed " + seed + ")");
        assertEquals(q.ids(), out.queries().ids());
        assertEquals(12, out.references().dim());
        assertTrue(out.pca().isEmpty());
      }
    });
  }

  @Test
  void sscdRecipeWhitensAndAddsTheScoreNormalizationDimension() {
    afterRecipe("sscd", 10, 14, 40, 8, (q, r, t, out) -> {
      assertEquals(9, out.queries().dim());
      assertEquals(9, out.references().dim());
      assertEquals(8, out.pca().orElseThrow().outputDim());
      double[] refs = TensorAssert.values(out.references().vectors());
      for (int i = 0; i < 14; i++) {
        assertEquals(1.0, refs[i * 9 + 8], 0.0, "references end with 1");
      }
    });
  }

  @Test
  void missingTrainingAndMismatchedDimensionsAreNamed() {
    try (Descriptors q = random(seed, "q", 4, 8);
        Descriptors r = random(seed + 1, "r", 4, 6)) {
      var processor = new PostProcessor(PostProcessConfig.recipe("lyakaap"), ComputeDevice.CPU);
      var e = assertThrows(IllegalArgumentException.class, () -> processor.run(q, q, null));
      assertTrue(e.getMessage().contains("need training descriptors"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> new PostProcessor(PostProcessConfig.recipe("none"), ComputeDevice.CPU).run(q, r, null));
      assertTrue(e.getMessage().contains("queries 8, references 6"), e.getMessage());
    }
  }

  @Test
  void yamlConfigsStartFromTheirRecipeAndRejectUnknownKeys(@TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("pp.yaml");
    Files.writeString(yaml, "recipe: sscd\npcaDimension: 64\nscoreNormalization: 2.0[0,9]\n");
    PostProcessConfig c = PostProcessConfig.read(yaml, "lyakaap");
    assertEquals(64, c.pcaDimension());
    assertTrue(c.whiten());
    assertEquals("2.0[0,9]", c.scoreNormalization());
    assertEquals(0, c.dbaK());
    Files.writeString(yaml, "nesBeta: 0.5\n");
    PostProcessConfig lyakaap = PostProcessConfig.read(yaml, "lyakaap");
    assertEquals(0.5, lyakaap.nesBeta());
    assertEquals(10, lyakaap.dbaK());
    Files.writeString(yaml, "nesbeta: 0.5\n");
    var e = assertThrows(IllegalArgumentException.class, () -> PostProcessConfig.read(yaml, "lyakaap"));
    assertTrue(e.getMessage().contains("unknown key 'nesbeta'") && e.getMessage().contains("nesBeta"),
        e.getMessage());
    Files.writeString(yaml, "scoreNormalization: 1.0(0,2)\n");
    assertThrows(IllegalArgumentException.class, () -> PostProcessConfig.read(yaml, "lyakaap"));
    assertThrows(IllegalArgumentException.class, () -> PostProcessConfig.recipe("best"));
  }
}
