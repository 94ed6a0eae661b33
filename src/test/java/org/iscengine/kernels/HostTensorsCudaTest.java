package org.iscengine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.testing.Gpu;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Arrays to a GPU and back, through pinned memory or not, and half-precision GPU tensors back to float32. */
@Tag("gpu")
class HostTensorsCudaTest {
  @BeforeEach
  void needsCuda() {
    Gpu.require();
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void arraysRoundTripThroughTheGpu(boolean pinned) {
    long seed = RandomTensors.freshSeed();
    Random random = new Random(seed);
    float[] a = new float[3 * 17 * 19];
    float[] b = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (0.5 + random.nextDouble());
      b[i] = (float) -(0.5 + random.nextDouble());
    }
    try (Device cuda = new Device("cuda:0");
        Tensor batch = HostTensors.stack(List.of(a, b), cuda, pinned, 3, 17, 19);
        Tensor half = batch.to(ScalarType.Half)) {
      assertTrue(batch.is_cuda());
      float[] back = HostTensors.toArray(batch);
      float[] both = new float[2 * a.length];
      System.arraycopy(a, 0, both, 0, a.length);
      System.arraycopy(b, 0, both, a.length, b.length);
      assertArrayEquals(both, back, "seed " + seed);
      float[] fromHalf = HostTensors.toArray(half);
      for (int i = 0; i < both.length; i++) {
        assertTrue(Math.abs(fromHalf[i] - both[i]) <= 5e-4 * Math.abs(both[i]), "element " + i + ", seed " + seed);
      }
    }
  }
}
