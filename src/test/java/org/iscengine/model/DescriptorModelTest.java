package org.iscengine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.errors.IscException;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.testing.FileBytes;
import org.iscengine.testing.IscAssert;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DescriptorModelTest {
  private final long seed = RandomTensors.freshSeed();

  private static DescriptorModel model(String arch, String head, int dim, boolean learnable) {
    torch.manual_seed(7);
    DescriptorModel m = new DescriptorModel(new ModelConfig(arch, head, dim, 3.0, learnable, 64,
        ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD));
    m.eval();
    return m;
  }

  @Test
  void descriptorsHaveTheConfiguredDimensionAndUnitNorm() {
    try (DescriptorModel m = model("resnet18", "fc-bn", 48, false);
        Tensor x = RandomTensors.uniform(seed, -2, 2, 3, 3, 67, 53);
        Tensor d = m.describe(x)) {
      assertArrayEquals(new long[] {3, 48}, d.shape());
      double[] v = TensorAssert.values(d);
      for (int i = 0; i < 3; i++) {
        double n = 0;
        for (int j = 0; j < 48; j++) {
          n += v[i * 48 + j] * v[i * 48 + j];
        }
        assertEquals(1.0, Math.sqrt(n), 1e-5, "row " + i + " (seed " + seed + ")");
      }
      try (Tensor again = m.describe(x)) {
        TensorAssert.assertEqual(d, again);
      }
    }
    try (DescriptorModel none = model("resnet18", "none", 0, false);
        Tensor x = RandomTensors.uniform(seed, -2, 2, 2, 3, 64, 64);
        Tensor d = none.describe(x)) {
      assertEquals(512, none.dimension());
      assertArrayEquals(new long[] {2, 512}, d.shape());
    }
  }

  @Test
  void describingUsesRunningStatisticsEvenWhileTraining() {
    torch.manual_seed(11);
    try (DescriptorModel m = new DescriptorModel(new ModelConfig("resnet18", "fc-bn", 16, 3.0, false, 64,
            ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD));
        Tensor x = RandomTensors.uniform(seed, -2, 2, 5, 3, 45, 51);
        Tensor all = m.describe(x);
        Tensor first = x.narrow(0, 0, 1);
        Tensor alone = m.describe(first);
        Tensor firstRow = all.narrow(0, 0, 1)) {
      assertTrue(!m.is_training(), "a new model is in inference mode");
      TensorAssert.assertNormRelativeError(alone, firstRow, 1e-4, "an image's descriptor must not depend on its batch");
      double[] statsBefore = runningMean(m);
      m.train(true);
      try (Tensor whileTraining = m.describe(x)) {
        assertTrue(m.is_training(), "describe restores the training mode");
        TensorAssert.assertNormRelativeError(whileTraining, all, 1e-5, "describe during training");
      }
      assertArrayEquals(statsBefore, runningMean(m), "describe must not update running statistics");
      m.moveTo(ComputeDevice.CPU, org.bytedeco.pytorch.global.torch.ScalarType.Float);
      try (Tensor channelsLast = m.describe(x)) {
        TensorAssert.assertNormRelativeError(channelsLast, all, 1e-5, "channels-last weights after moveTo");
      }
    }
  }

  /**
   * Relative error (L2, over a batch of unit descriptors) that float32 descriptors may have
   * against the same network in float64, on any machine and in either memory layout: the
   * engine's statement of how far descriptors of one image may differ between machines.
   */
  static final double DESCRIPTOR_TOLERANCE = 1e-5;

  @ParameterizedTest
  @ValueSource(strings = {"resnet18", "resnet50", "tf_efficientnetv2_s"})
  void descriptorsAgreeWithFloat64InBothLayouts(String architecture) {
    try (DescriptorModel nchw = model(architecture, "fc-bn", 64, false);
        DescriptorModel reference = model(architecture, "fc-bn", 64, false);
        Tensor x = RandomTensors.uniform(seed, -2, 2, 3, 3, 77, 61);
        Tensor x64 = x.to(torch.ScalarType.Double)) {
      reference.to(torch.ScalarType.Double, false);
      try (Tensor expected = reference.describe(x64);
          Tensor plain = nchw.describe(x)) {
        assertEquals("Double", expected.scalar_type().toString(), "the reference runs in float64");
        TensorAssert.assertNormRelativeError(plain, expected, DESCRIPTOR_TOLERANCE, architecture + " NCHW, float32"
            + " vs float64 (seed " + seed + ")");
        nchw.moveTo(ComputeDevice.CPU, torch.ScalarType.Float);
        try (Tensor channelsLast = nchw.describe(x)) {
          TensorAssert.assertNormRelativeError(channelsLast, expected, DESCRIPTOR_TOLERANCE, architecture
              + " channels-last, float32 vs float64 (seed " + seed + ")");
        }
      }
    }
  }

  private static double[] runningMean(DescriptorModel m) {
    Map<String, Tensor> state = StateDicts.of(m);
    try {
      return TensorAssert.values(state.get("bn.running_mean"));
    } finally {
      state.values().forEach(Tensor::close);
    }
  }

  @Test
  void parameterNamesFollowTheWinnersModel() {
    try (DescriptorModel m = model("tf_efficientnetv2_s", "fc-bn", 256, true)) {
      Map<String, Tensor> state = StateDicts.of(m);
      assertTrue(state.containsKey("backbone.conv_stem.weight"));
      assertTrue(state.containsKey("backbone.blocks.5.14.se.conv_expand.bias"));
      assertArrayEquals(new long[] {256, 256}, state.get("fc.weight").shape(), "fc from the 256-channel last stage");
      assertTrue(state.containsKey("bn.running_var"));
      assertEquals(3.0, state.get("pooling.p").item_double(), 1e-6);
      assertEquals(3.0, m.gemP(), 1e-6);
      state.values().forEach(Tensor::close);
    }
  }

  @Test
  void modelFilesRoundTripTheConfigAndWeights(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("model.iscm");
    try (DescriptorModel m = model("resnet18", "fc-bn", 32, true);
        Tensor x = RandomTensors.uniform(seed, -2, 2, 2, 3, 64, 64);
        Tensor before = m.describe(x)) {
      ModelFile.save(file, m, "test weights");
      assertTrue(ModelFile.isModelFile(file));
      ModelFile.Manifest manifest = ModelFile.manifest(file);
      assertEquals(m.config(), manifest.config());
      assertEquals("test weights", manifest.source());
      try (DescriptorModel loaded = ModelFile.load(file)) {
        loaded.eval();
        try (Tensor after = loaded.describe(x)) {
          TensorAssert.assertEqual(before, after);
        }
      }
    }
    Path cut = FileBytes.truncatedCopy(file, dir.resolve("cut.iscm"), Files.size(file) - 1000);
    IscAssert.assertRefused(IscException.Kind.CORRUPT_DATA, () -> ModelFile.load(cut), "cut.iscm");
  }

  /** A copy of a model file whose manifest (model.json) an edit changed; the tensors' entries stay as they were. */
  private static Path withManifest(Path file, Path copy, Consumer<ObjectNode> edit) throws Exception {
    ObjectMapper json = new ObjectMapper();
    try (ZipFile in = new ZipFile(file.toFile());
        ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(copy))) {
      for (ZipEntry entry : Collections.list(in.entries())) {
        byte[] content = in.getInputStream(entry).readAllBytes();
        if (entry.getName().equals("model.json")) {
          ObjectNode manifest = (ObjectNode) json.readTree(content);
          edit.accept(manifest);
          content = json.writeValueAsBytes(manifest);
        }
        out.putNextEntry(new ZipEntry(entry.getName()));
        out.write(content);
        out.closeEntry();
      }
    }
    return copy;
  }

  private static Path savedModel(Path dir) throws Exception {
    Path file = dir.resolve("model.iscm");
    try (DescriptorModel m = model("resnet18", "fc-bn", 32, true)) {
      ModelFile.save(file, m, "test weights");
    }
    return file;
  }

  @Test
  void aTensorTableClaimingMoreThanTheFileHoldsIsRefusedBeforeAllocating(@TempDir Path dir) throws Exception {
    Path liar = withManifest(savedModel(dir), dir.resolve("liar.iscm"), manifest -> {
      ArrayNode shape = (ArrayNode) manifest.get("tensors").get(0).get("shape");
      shape.removeAll().add(1L << 20).add(1L << 20);
    });
    IscAssert.assertRefused(IscException.Kind.CORRUPT_DATA, () -> ModelFile.load(liar), "liar.iscm", "expected");
  }

  @Test
  void aTensorTableNamingTensorsTheModelLacksOrTwiceIsRefusedBeforeReading(@TempDir Path dir) throws Exception {
    Path file = savedModel(dir);
    for (String rename : new String[] {null, "extra.weight"}) {
      Path liar = withManifest(file, dir.resolve((rename == null ? "twice" : "extra") + ".iscm"), manifest -> {
        ArrayNode tensors = (ArrayNode) manifest.get("tensors");
        ObjectNode copy = tensors.get(0).deepCopy();
        if (rename != null) {
          copy.put("name", rename);
        }
        tensors.add(copy);  // one more tensor, read from the first one's entry
      });
      IscAssert.assertRefused(IscException.Kind.CORRUPT_DATA, () -> ModelFile.load(liar),
          liar.getFileName().toString());
    }
  }

  @Test
  void badConfigsAreNamed() {
    var arch = assertThrows(IllegalArgumentException.class, () -> ModelConfig.winner("resnet51", 224));
    assertTrue(arch.getMessage().contains("resnet51"), arch.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ModelConfig("resnet50", "fc-bn", 0, 3, false, 224,
        ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD));
    assertThrows(IllegalArgumentException.class, () -> new ModelConfig("resnet50", "mlp", 64, 3, false, 224,
        ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD));
    assertThrows(IllegalArgumentException.class, () -> new ModelConfig("resnet50", "fc-bn", 64, 0.5, false, 224,
        ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD));
    assertEquals(Architecture.TF_EFFICIENTNETV2_M, Architecture.of("tf_efficientnetv2_m_in21ft1k"));
  }
}
