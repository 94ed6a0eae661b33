package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeTest {
  @TempDir Path dir;

  @Test
  void theWinnersStagesInheritFromDefaultsAndEarlierStages() {
    Recipe r = Recipe.named("lyakaap");
    assertEquals(List.of("v83", "v86", "v98", "v107"), r.stages().stream().map(Stage::name).toList());
    Stage v83 = r.stages().get(0);
    Stage v86 = r.stages().get(1);
    Stage v98 = r.stages().get(2);
    Stage v107 = r.stages().get(3);
    assertEquals("tf_efficientnetv2_m", v83.architecture());
    assertEquals(List.of(256, 384, 512, 512), r.stages().stream().map(Stage::inputSize).toList());
    assertEquals(0.1, v86.lr(), "v86 keeps v83's learning rate");
    assertEquals(List.of("moderate", "lyakaap-v86"), v86.views());
    assertEquals(64, v98.batchSize());
    assertEquals(2, v98.referenceNegatives());
    assertEquals("linear", v98.schedule());
    assertTrue(v107.pairs());
    assertEquals(0, v107.referenceNegatives());
    assertEquals(1000, v107.memorySize());
    assertEquals(1.1, v107.negMargin());
    assertEquals(0.5, v107.lr());
    for (String name : Recipe.BUILTIN) {
      assertTrue(Recipe.named(name).stages().size() >= 1, name);
    }
  }

  private String error(String yaml) throws Exception {
    Path file = dir.resolve("r.yaml");
    Files.writeString(file, yaml);
    return assertThrows(IllegalArgumentException.class, () -> Recipe.named(file.toString())).getMessage();
  }

  private static String base(String override) {
    return """
        name: t
        defaults:
          architecture: resnet18
          inputSize: 64
          dimension: 16
          gemP: 3.0
          views: [moderate, lyakaap-v83]
          pairs: false
          referenceNegatives: 0
          batchSize: 4
          epochs: 1
          lr: 0.01
          momentum: 0.9
          weightDecay: 0.0
          warmupSteps: 0
          schedule: cosine
          gradClip: 0
          memorySize: 64
          posMargin: 0.0
          negMargin: 1.0
          amp: false
        stages:
          - name: s1
        """ + override;
  }

  @Test
  void mistakesAreNamed() throws Exception {
    assertTrue(Recipe.named(writeAndName(base(""))).stages().size() == 1);
    String unknown = error(base("    learningRate: 0.1\n"));
    assertTrue(unknown.contains("unknown key 'learningRate'") && unknown.contains("stage s1"), unknown);
    String lr = error(base("    lr: -1\n"));
    assertTrue(lr.contains("stage s1") && lr.contains("lr must be"), lr);
    String preset = error(base("    views: [moderate, sepia]\n"));
    assertTrue(preset.contains("unknown preset 'sepia'"), preset);
    String arch = error(base("    architecture: vgg16\n"));
    assertTrue(arch.contains("vgg16"), arch);
    String memory = error(base("    memorySize: 4\n"));
    assertTrue(memory.contains("memorySize must be >= the views of one step (8)"), memory);
    String missing = error(base("").replace("  amp: false\n", ""));
    assertTrue(missing.contains("does not set 'amp'"), missing);
    assertEquals(0.0, Recipe.named(writeAndName(base(""))).stages().get(0).entropyWeight(), "off unless set");
    assertEquals(2.5, Recipe.named(writeAndName(base("    entropyWeight: 2.5\n"))).stages().get(0).entropyWeight());
    String entropy = error(base("    entropyWeight: -1\n"));
    assertTrue(entropy.contains("stage s1") && entropy.contains("entropyWeight must be in [0, 1000]"), entropy);
    assertEquals(null, Recipe.named(writeAndName(base(""))).stages().get(0).pretrained(), "random unless set");
    assertEquals("nsfwjs-mobilenet_v2", Recipe.named(writeAndName(base(
        "    architecture: mobilenetv2\n    pretrained: nsfwjs-mobilenet_v2\n"))).stages().get(0).pretrained());
    String wrongNet = error(base("    pretrained: nsfwjs-mobilenet_v2\n"));
    assertTrue(wrongNet.contains("stage s1") && wrongNet.contains("is for mobilenetv2"), wrongNet);
    String unknownWeights = error(base("    architecture: mobilenetv2\n    pretrained: imagenet\n"));
    assertTrue(unknownWeights.contains("unknown pretrained weights 'imagenet'"), unknownWeights);
    String notYaml = error("stages: [unclosed\n");
    assertTrue(notYaml.contains("not valid YAML"), notYaml);
    String none = assertThrows(IllegalArgumentException.class, () -> Recipe.named("no-such-recipe")).getMessage();
    assertTrue(none.contains("no-such-recipe") && none.contains("mini"), none);
  }

  private String writeAndName(String yaml) throws Exception {
    Path file = dir.resolve("ok.yaml");
    Files.writeString(file, yaml);
    return file.toString();
  }

  @Test
  void learningRateWarmsUpThenDecays() {
    Stage s = Recipe.named("tiny").stages().get(0);
    Stage cosine = small("c", s.views()).lr(0.2).momentum(0.9).warmupSteps(4).build();
    long total = 24;
    double previous = 0;
    for (long i = 0; i < 4; i++) {
      double lr = LearningRate.at(cosine, i, total);
      assertTrue(lr > previous && lr < 0.2, "warm-up rises below the peak: " + lr);
      previous = lr;
    }
    assertEquals(0.2, LearningRate.at(cosine, 4, total), 1e-12, "peak right after the warm-up");
    previous = 0.2;
    for (long i = 5; i < total; i++) {
      double lr = LearningRate.at(cosine, i, total);
      assertTrue(lr < previous, "decays: step " + i);
      previous = lr;
    }
    assertEquals(0.0, LearningRate.at(cosine, total - 1, total), 1e-12);
    Stage linear = small("l", s.views()).lr(0.2).momentum(0.9).schedule("linear").build();
    assertEquals(0.1, LearningRate.at(linear, 5, 11), 1e-12, "half way");
  }

  @Test
  void freezeTakesModulesAndNamePrefixes() {
    Stage s = small("f", List.of("moderate", "lyakaap-v83")).architecture("mobilenetv2").momentum(0.9)
        .freeze(List.of("backbone.Conv1", "backbone.block_1_*")).build();
    assertTrue(s.frozen("backbone.Conv1.weight"));
    assertTrue(s.frozen("backbone.block_1_expand.weight"));
    assertTrue(s.frozen("backbone.block_1_project_BN.running_mean"));
    assertTrue(!s.frozen("backbone.Conv1_x.weight"), "a module name is not a prefix of another name");
    assertTrue(!s.frozen("backbone.bn_Conv1.weight"));
    assertTrue(!s.frozen("backbone.block_10_expand.weight"), "block_1_* is not block_10_");
    assertTrue(!s.frozen("backbone.block_2_expand.weight"));
  }

  /** A small resnet18 stage: what a stage must set, nothing else. */
  private static Stage.Builder small(String name, List<String> views) {
    return Stage.builder().name(name).architecture("resnet18").inputSize(64).dimension(16).gemP(3).views(views)
        .batchSize(8).epochs(1).lr(0.1).memorySize(64).negMargin(1);
  }

  @Test
  void aBuiltStageDefaultsAsTheRecipesDo() {
    Stage built = small("d", List.of("moderate", "lyakaap-v83")).build();
    Stage positional = new Stage("d", "resnet18", 64, 16, 3, List.of("moderate", "lyakaap-v83"), false, 0, 8, 1, 0.1,
        0, 0, 0, "cosine", 0, 64, 0, 1, false, List.of(), 0.0, null);
    assertEquals(positional, built);
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> Stage.builder().name("m").architecture("resnet18").build());
    assertTrue(missing.getMessage().contains("stage m: inputSize"), missing.getMessage());
  }
}
