package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.Pretrained;
import org.iscengine.model.StateDicts;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;

/** The network a fresh stage starts from: seeded random weights, and a pretrained backbone where asked. */
class StartingModelTest {
  private static Stage stage(String architecture, String pretrained) {
    return Stage.builder().name("s").architecture(architecture).inputSize(64).dimension(16).gemP(3.0)
        .views(List.of("moderate", "lyakaap-v83")).batchSize(8).epochs(1).lr(0.01).momentum(0.9).gradClip(5)
        .memorySize(64).negMargin(1).pretrained(pretrained).build();
  }

  @Test
  void randomStartDependsOnTheSeedOnly() {
    long seed = RandomTensors.freshSeed();
    Stage stage = stage("resnet18", null);
    try (DescriptorModel a = Trainer.startingModel(stage, seed, true);
        DescriptorModel b = Trainer.startingModel(stage, seed, false);
        DescriptorModel c = Trainer.startingModel(stage, seed + 1, true)) {
      Map<String, Tensor> sa = StateDicts.of(a);
      Map<String, Tensor> sb = StateDicts.of(b);
      Map<String, Tensor> sc = StateDicts.of(c);
      String conv = "backbone.conv1.weight";
      assertTrue(sa.containsKey(conv), sa.keySet().toString());
      for (String key : sa.keySet()) {
        assertTrue(sa.get(key).equal(sb.get(key)), key);
      }
      assertFalse(sa.get(conv).equal(sc.get(conv)), "another seed, other weights");
    }
  }

  @Test
  void pretrainedStartTakesTheBackboneAndKeepsTheSeededHead() {
    long seed = RandomTensors.freshSeed();
    Stage stage = stage("mobilenetv2", "nsfwjs-mobilenet_v2");
    DescriptorModel pretrained;
    try {
      pretrained = Trainer.startingModel(stage, seed, true);
    } catch (IllegalStateException e) {
      assumeTrue(false, "nsfwjs cannot be fetched here (npm or its registry missing): " + e.getMessage());
      return;
    }
    try (pretrained;
        DescriptorModel random = Trainer.startingModel(stage, seed, false);
        DescriptorModel reference = new DescriptorModel(stage.modelConfig())) {
      Pretrained.of("nsfwjs-mobilenet_v2").load(reference);
      Map<String, Tensor> p = StateDicts.of(pretrained);
      Map<String, Tensor> r = StateDicts.of(random);
      Map<String, Tensor> ref = StateDicts.of(reference);
      int backbone = 0;
      int head = 0;
      for (String key : p.keySet()) {
        if (key.startsWith("backbone.")) {
          backbone++;
          assertTrue(p.get(key).equal(ref.get(key)), key + ": the pretrained weights");
        } else {
          head++;
          assertTrue(p.get(key).equal(r.get(key)), key + ": the seeded random head");
        }
      }
      assertTrue(backbone >= 260 && head > 0, backbone + " backbone, " + head + " head tensors");
      String firstConv = "backbone.Conv1.weight";
      assertTrue(p.containsKey(firstConv), p.keySet().toString());
      assertFalse(p.get(firstConv).equal(r.get(firstConv)), "pretrained differs from random");
      assertEquals(List.copyOf(p.keySet()), List.copyOf(r.keySet()));
    }
  }
}
