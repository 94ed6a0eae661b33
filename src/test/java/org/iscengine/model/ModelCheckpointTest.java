package org.iscengine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.errors.IscException;
import org.iscengine.testing.FileBytes;
import org.iscengine.testing.IscAssert;
import org.iscengine.testing.PyTorchFixtures;
import org.iscengine.testing.TensorAssert;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints and TorchScript written by real PyTorch load into the Java models and agree with PyTorch. */
class ModelCheckpointTest {
  @TempDir static Path dir;

  @BeforeAll
  static void fixtures() throws Exception {
    PyTorchFixtures.generate("/model/make_checkpoints.py", dir);
  }

  /** What run makes of the input PyTorch saved in ioFile, within 1e-4 of PyTorch's output saved there as key. */
  private static void assertSameAsPyTorch(Function<Tensor, Tensor> run, String ioFile, String key, String what) {
    try (NoGradGuard g = new NoGradGuard();
        Tensor x = io(ioFile, "input");
        Tensor expected = io(ioFile, key);
        Tensor actual = run.apply(x)) {
      TensorAssert.assertNormRelativeError(actual, expected, 1e-4, what);
    }
  }

  /** The model's logits on the input PyTorch saved beside them, within 1e-4 of PyTorch's. */
  private void assertSameLogitsAsPyTorch(ResNet model, String ioFile, String name) {
    model.eval();
    assertSameAsPyTorch(model::forward, ioFile, "logits", name + " logits");
  }

  private static Tensor io(String file, String key) {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) PyTorchCheckpoint.read(dir.resolve(file));
    return (Tensor) m.get(key);
  }

  @Test
  void torchvisionResNet50WeightsGiveTheSameLogitsAsPyTorch() {
    ResNet model = new ResNet(50, 1000);
    StateDicts.LoadReport report = StateDicts.load(model, PyTorchCheckpoint.stateDict(dir.resolve("resnet50.pth")),
        false);
    assertTrue(report.complete(), report.describe());
    assertEquals(320, report.loaded(), "parameters and buffers of torchvision's ResNet-50");
    assertSameLogitsAsPyTorch(model, "resnet50-io.pt", "ResNet-50");
  }

  @Test
  void wrappedDataParallelCheckpointsAreUnwrapped() {
    Object whole = PyTorchCheckpoint.read(dir.resolve("wrapped.pth.tar"));
    assertTrue(whole instanceof Map<?, ?> m && ((Number) m.get("epoch")).intValue() == 7, String.valueOf(whole));
    Map<String, Tensor> state = PyTorchCheckpoint.stateDict(dir.resolve("wrapped.pth.tar"));
    assertTrue(state.containsKey("conv1.weight"), "module. prefix removed: " + state.keySet().iterator().next());
    ResNet model = new ResNet(18, 1000);
    StateDicts.load(model, state, false);
    assertSameLogitsAsPyTorch(model, "resnet18-io.pt", "ResNet-18");
  }

  @Test
  void strictLoadingRefusesAMismatchAndChangesNothing() {
    Map<String, Tensor> state = PyTorchCheckpoint.stateDict(dir.resolve("resnet50.pth"));
    ResNet wrong = new ResNet(101, 1000);
    Map<String, Tensor> before = StateDicts.of(wrong);
    try (Tensor conv1 = before.get("conv1.weight").clone()) {
      var e = assertThrows(IncompatibleCheckpointException.class, () -> StateDicts.load(wrong, state, false));
      assertTrue(e.getMessage().contains("missing from the checkpoint") && e.getMessage().contains("layer3.6"),
          e.getMessage());
      TensorAssert.assertEqual(conv1, before.get("conv1.weight"));
      // A descriptor model takes the backbone of a classifier checkpoint only when asked to.
      DescriptorModel descriptor = new DescriptorModel(ModelConfig.winner("resnet50", 224));
      Map<String, Tensor> prefixed = StateDicts.addPrefix(state, "backbone.");
      var partial = assertThrows(IncompatibleCheckpointException.class,
          () -> StateDicts.load(descriptor, prefixed, false));
      assertTrue(partial.report().unexpected().contains("backbone.fc.weight"), partial.getMessage());
      assertTrue(partial.report().missing().contains("fc.weight"), partial.getMessage());
      StateDicts.LoadReport report = StateDicts.load(descriptor, prefixed, true);
      assertEquals(318, report.loaded());
    } finally {
      before.values().forEach(Tensor::close);
    }
  }

  @Test
  void efficientNetV2WithTimmNamesAgreesWithThePyTorchDefinition() {
    EfficientNetV2 model = new EfficientNetV2('s', true, 1000);
    StateDicts.LoadReport report = StateDicts.load(model, PyTorchCheckpoint.stateDict(dir.resolve("effnetv2_s.pth")),
        false);
    assertTrue(report.complete(), report.describe());
    model.eval();
    assertSameAsPyTorch(model::forward, "effnetv2_s-io.pt", "logits", "EfficientNetV2-S logits (odd input size)");
    EfficientNetV2 backbone = new EfficientNetV2('s', false, 0);
    StateDicts.LoadReport partial = StateDicts.load(backbone,
        PyTorchCheckpoint.stateDict(dir.resolve("effnetv2_s.pth")), true);
    assertEquals(java.util.Set.of("conv_head.weight", "bn2.weight", "bn2.bias", "bn2.running_mean",
        "bn2.running_var", "bn2.num_batches_tracked", "classifier.weight", "classifier.bias"),
        java.util.Set.copyOf(partial.unexpected()));
    backbone.eval();
    assertSameAsPyTorch(backbone::features, "effnetv2_s-io.pt", "features", "EfficientNetV2-S last-stage features");
  }

  @Test
  void torchScriptModelsRunThroughTheJit() {
    ModelConfig config = new ModelConfig(ModelConfig.TORCHSCRIPT, "none", 0, 3.0, false, 96,
        ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD);
    try (TorchScriptModel ts = TorchScriptModel.load(dir.resolve("descriptor.ts"), config);
        Tensor x = io("descriptor-io.pt", "input");
        Tensor expected = io("descriptor-io.pt", "output");
        Tensor out = ts.describe(x)) {
      assertEquals(96, ts.dimension());
      TensorAssert.assertNormRelativeError(out, expected, 1e-4, "TorchScript descriptors");
    }
    var e = assertThrows(IscException.class, () -> TorchScriptModel.load(dir.resolve("resnet50.pth"), config));
    assertEquals(IscException.Kind.CORRUPT_DATA, e.kind());
    assertTrue(e.getMessage().contains("resnet50.pth") && e.getMessage().contains("TorchScript"), e.getMessage());
  }

  @Test
  void legacyTruncatedAndForeignFilesAreNamed() throws Exception {
    var legacy = assertThrows(IscException.class, () -> PyTorchCheckpoint.read(dir.resolve("legacy.pth")));
    assertEquals(IscException.Kind.UNSUPPORTED, legacy.kind());
    assertTrue(legacy.getMessage().contains("legacy (pre-1.6)"), legacy.getMessage());
    Path whole = dir.resolve("wrapped.pth.tar");
    Path cut = FileBytes.truncatedCopy(whole, dir.resolve("cut.pth"), Files.size(whole) / 3);
    IscAssert.assertRefused(IscException.Kind.CORRUPT_DATA, () -> PyTorchCheckpoint.stateDict(cut), "cut.pth");
    Path text = dir.resolve("notes.pth");
    Files.writeString(text, "not a checkpoint");
    var foreign = assertThrows(IscException.class, () -> PyTorchCheckpoint.read(text));
    assertEquals(IscException.Kind.CORRUPT_DATA, foreign.kind());
    assertTrue(foreign.getMessage().contains("not a PyTorch checkpoint"), foreign.getMessage());
    assertFalse(ModelFile.isModelFile(text));
  }
}
