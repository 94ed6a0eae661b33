package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InsClrRecipeTest {
  @TempDir Path dir;

  private static final String TINY = """
      name: t
      seed: 3
      defaults:
        architecture: resnet18
        head: fc-bn
        dimension: 16
        gemP: 3.0
        inputSize: 48
        trainSize: 48
        view: moderate
        candidates: 4
        positiveThreshold: 0.65
        negativeThreshold: 0.55
        positivesPerImage: 1
        batchSize: 4
        steps: 3
        lr: 1.0e-3
        weightDecay: 1.0e-4
        margin: 0.4
        memoryFrom: 0
        memorySamples: 16
        gradClip: 10.0
      stages:
        - name: s1
      """;

  @Test
  void theBuiltInsCarryInsClrsNumbers() {
    InsClrRecipe base = InsClrRecipe.named("base");
    assertEquals(List.of("s1", "s2", "s3"), base.stages().stream().map(InsClrStage::name).toList());
    for (InsClrStage s : base.stages()) {
      assertEquals("resnet101", s.architecture());
      assertEquals(500, s.candidates());
      assertEquals(0.65, s.positiveThreshold());
      assertEquals(0.55, s.negativeThreshold());
      assertEquals(0, s.expandRounds());
      assertEquals(0.4, s.margin());
      assertEquals(64, s.batchSize());
      assertEquals(1e-4, s.lr());
      assertEquals(List.of(40000), s.lrDropSteps());
    }
    InsClrRecipe impr = InsClrRecipe.named("impr");
    assertEquals(4, impr.stages().size());
    InsClrStage last = impr.stages().get(3);
    assertEquals(0.75, last.positiveThreshold());
    assertEquals(0.5, last.negativeThreshold());
    assertEquals(4, last.expandRounds());
    assertEquals(0.6, last.expandSimilarity());
    assertEquals(5, last.expandPerRound());
    assertEquals(448, last.trainSize());
    assertEquals(16, last.batchSize());
    assertEquals(3e-5, last.lr());
    assertEquals(List.of(20000), last.lrDropSteps());
    assertEquals(0.65, impr.stages().get(2).positiveThreshold(), "the base stages before it keep base's");
    for (String name : InsClrRecipe.BUILTIN) {
      assertTrue(InsClrRecipe.named(name).stages().size() >= 1, name);
    }
    assertEquals("nsfwjs-mobilenet_v2", InsClrRecipe.named("insclr-mini").stages().get(0).pretrained());
  }

  @Test
  void theLearningRateWarmsUpFromAThirdAndDropsAtTheListedSteps() {
    InsClrStage s = InsClrRecipe.named("impr").stages().get(3);
    assertEquals(3e-5, s.lrAt(0), 1e-12);
    assertEquals(3e-6, s.lrAt(20000), 1e-12);
    InsClrStage warm = read(TINY.replace("gradClip: 10.0", "gradClip: 10.0\n  warmupSteps: 10")).stages().get(0);
    assertEquals(1e-3 / 3, warm.lrAt(0), 1e-12);
    assertEquals(1e-3, warm.lrAt(10), 1e-12);
  }

  private InsClrRecipe read(String yaml) {
    try {
      Path f = Files.createTempFile(dir, "recipe", ".yaml");
      Files.writeString(f, yaml);
      return InsClrRecipe.read(f);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private void refused(String yaml, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(yaml));
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "'" + f + "' in: " + e.getMessage());
    }
  }

  @Test
  void badRecipesAreRefusedNamingTheKey() {
    assertEquals(3, read(TINY).seed());
    refused(TINY.replace("negativeThreshold: 0.55", "negativeThreshold: 0.7"), "stage s1", "negativeThreshold",
        "0.7");
    refused(TINY.replace("candidates: 4", "candidates: 0"), "candidates", "got 0");
    refused(TINY.replace("candidates: 4", "candidatePool: 4"), "unknown key 'candidatePool'");
    refused(TINY.replace("  margin: 0.4\n", ""), "does not set 'margin'");
    refused(TINY.replace("view: moderate", "view: wild"), "view", "wild");
    refused(TINY.replace("head: fc-bn", "head: mlp"), "head", "mlp");
    refused(TINY.replace("gradClip: 10.0", "gradClip: 10.0\n  lrDropSteps: [5]"), "lrDropSteps", "[5]");
    refused(TINY.replace("gradClip: 10.0", "gradClip: 10.0\n  expandRounds: 2"), "expandPerRound");
    refused(TINY.replace("architecture: resnet18", "architecture: resnet18\n  pretrained: nsfwjs-mobilenet_v2"),
        "pretrained");
    refused(TINY + "  - name: s1\n", "two stages are called s1");
  }

  @Test
  void aMissingRecipeNamesTheBuiltIns() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InsClrRecipe.named(dir.resolve("nope.yaml").toString()));
    assertTrue(e.getMessage().contains("insclr-mini"), e.getMessage());
  }
}
