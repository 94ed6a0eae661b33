package org.iscengine.describe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.descriptor.Pca;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.Tensors;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelConfig;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;

/**
 * The describing pipeline on a small random ResNet-18: unit descriptors, the same as the former
 * pipelines that normalised the network's (already unit) output a second time.
 */
class DescriberTest {
  private static final int SIZE = 64;
  private final long seed = RandomTensors.freshSeed();

  private static DescriptorModel model() {
    torch.manual_seed(5);
    return new DescriptorModel(new ModelConfig("resnet18", "fc-bn", 24, 3.0, false, SIZE, ModelConfig.IMAGENET_MEAN,
        ModelConfig.IMAGENET_STD));
  }

  private List<float[][]> prepared(Describer describer, int n) {
    List<float[][]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      try (Mat image = TestImages.natural(seed + i, 70 + 9 * i, 83 - 5 * i)) {
        out.add(describer.prepare(image));
      }
    }
    return out;
  }

  @Test
  void descriptorsHaveUnitNormAndEqualTheFormerDoublyNormalisedOnes() {
    try (DescriptorModel m = model();
        Tensor training = RandomTensors.uniform(seed, -1, 1, 60, 24);
        Tensor unitTraining = Tensors.l2Normalize(training);
        Pca pca = Pca.whitening(unitTraining, 8)) {
      Describer plain = new Describer(m, ComputeDevice.CPU, Describer.Settings.single(Preprocess.Resize.SQUARE), null);
      Describer projected = new Describer(m, ComputeDevice.CPU, Describer.Settings.single(Preprocess.Resize.SQUARE),
          pca);
      List<float[][]> images = prepared(plain, 5);
      float[][] got = plain.describe(images);
      float[][] gotProjected = projected.describe(images);
      List<float[]> first = new ArrayList<>();
      images.forEach(p -> first.add(p[0]));
      try (Tensor x = plain.input(first, 0);
          Tensor raw = m.describe(x);
          Tensor before = Tensors.l2Normalize(raw);  // the copy detector normalised the network's output again
          Tensor beforeProjected = Tensors.l2Normalize(pca.apply(before));
          Tensor now = HostTensors.stack(List.of(got), 24);
          Tensor nowProjected = HostTensors.stack(List.of(gotProjected), 8)) {
        TensorAssert.assertNormRelativeError(now, before, 1e-6, "single normalisation vs double (seed " + seed + ")");
        TensorAssert.assertNormRelativeError(nowProjected, beforeProjected, 1e-6, "with PCA (seed " + seed + ")");
      }
      for (float[][] rows : List.of(got, gotProjected)) {
        for (float[] row : rows) {
          double n = 0;
          for (float v : row) {
            n += (double) v * v;
          }
          assertEquals(1.0, Math.sqrt(n), 1e-6, "unit norm (seed " + seed + ")");
        }
      }
    }
  }

  @Test
  void halfPrecisionAndMismatchedPcaAreRefusedOnTheCpu() {
    try (DescriptorModel m = model();
        Tensor training = RandomTensors.uniform(seed, -1, 1, 40, 16);
        Pca pca = Pca.fit(training, 4, 0)) {
      IllegalArgumentException half = assertThrows(IllegalArgumentException.class, () -> new Describer(m,
          ComputeDevice.CPU, new Describer.Settings(Preprocess.Resize.SQUARE, new double[] {1}, false,
              ScalarType.Half, false), null));
      assertTrue(half.getMessage().contains("GPU"), half.getMessage());
      IllegalArgumentException dims = assertThrows(IllegalArgumentException.class, () -> new Describer(m,
          ComputeDevice.CPU, Describer.Settings.single(Preprocess.Resize.SQUARE), pca));
      assertTrue(dims.getMessage().contains("16-d"), dims.getMessage());
    }
  }
}
