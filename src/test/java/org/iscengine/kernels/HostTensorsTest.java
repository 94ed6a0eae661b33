package org.iscengine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Java arrays to tensors and back on the CPU: exact for float32, within half's rounding for float16/bfloat16. */
class HostTensorsTest {
  private final long seed = RandomTensors.freshSeed();
  private final Random random = new Random(seed);

  /** Values of either sign, away from zero, so that relative errors mean something. */
  private float[] values(int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) ((0.5 + 1.5 * random.nextDouble()) * (random.nextBoolean() ? 1 : -1));
    }
    return v;
  }

  @Test
  void anArrayRoundTripsExactlyInAnyShape() {
    float[] v = values(3 * 7 * 5);
    try (Tensor t = HostTensors.tensor(v, 3, 7, 5)) {
      assertArrayEquals(new long[] {3, 7, 5}, t.shape());
      assertEquals(ScalarType.Float, Tensors.dtype(t));
      assertArrayEquals(v, HostTensors.toArray(t), "seed " + seed);
    }
    IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
        () -> HostTensors.tensor(v, 3, 7, 4));
    assertTrue(wrong.getMessage().contains("105 values"), wrong.getMessage());
  }

  @Test
  void stackedRowsComeBackAsTheyWent() {
    List<float[]> rows = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      rows.add(values(13));
    }
    try (Tensor m = HostTensors.stack(rows, 13)) {
      assertArrayEquals(new long[] {9, 13}, m.shape());
      float[][] back = HostTensors.toRows(m);
      for (int i = 0; i < 9; i++) {
        assertArrayEquals(rows.get(i), back[i], "row " + i + ", seed " + seed);
      }
    }
    List<float[]> images = List.of(values(3 * 5 * 7), values(3 * 5 * 7));
    try (Tensor batch = HostTensors.stack(images, 3, 5, 7);
        Tensor second = batch.select(0, 1)) {
      assertArrayEquals(new long[] {2, 3, 5, 7}, batch.shape());
      assertArrayEquals(images.get(1), HostTensors.toArray(second));
    }
    try (Tensor none = HostTensors.stack(List.of(), 11)) {
      assertArrayEquals(new long[] {0, 11}, none.shape());
      assertEquals(0, HostTensors.toRows(none).length);
    }
    assertThrows(IllegalArgumentException.class, () -> HostTensors.stack(List.of(values(13), values(12)), 13));
  }

  @Test
  void nonContiguousTensorsAreReadInRowMajorOrder() {
    float[] v = values(7 * 11);
    try (Tensor t = HostTensors.tensor(v, 7, 11);
        Tensor transposed = t.t();
        Tensor everyOther = t.slice(1, new org.bytedeco.pytorch.LongOptional(1),
            new org.bytedeco.pytorch.LongOptional(11), 2)) {
      assertTrue(!transposed.is_contiguous() && !everyOther.is_contiguous());
      float[][] rows = HostTensors.toRows(transposed);
      for (int i = 0; i < 11; i++) {
        for (int j = 0; j < 7; j++) {
          assertEquals(v[j * 11 + i], rows[i][j]);
        }
      }
      float[] odd = HostTensors.toArray(everyOther);
      assertEquals(7 * 5, odd.length);
      for (int i = 0; i < 7; i++) {
        for (int j = 0; j < 5; j++) {
          assertEquals(v[i * 11 + 1 + 2 * j], odd[i * 5 + j]);
        }
      }
      assertThrows(IllegalArgumentException.class, () -> HostTensors.floats(transposed));
    }
    try (Tensor channelsLast = RandomTensors.uniform(seed, -2, 2, 2, 3, 5, 7)
        .contiguous(torch.MemoryFormat.ChannelsLast)) {
      assertArrayEquals(TensorAssert.values(channelsLast), toDoubles(HostTensors.toArray(channelsLast)), 0);
    }
  }

  /** Half-precision tensors come back as float32 within the type's rounding of a float64 reference. */
  @ParameterizedTest
  @CsvSource({"Half, 0.0005", "BFloat16, 0.004", "Double, 0.00000006"})
  void otherFloatingTypesComeBackAsFloat32(ScalarType dtype, double tolerance) {
    double[] reference = new double[5 * 9];
    for (int i = 0; i < reference.length; i++) {
      reference[i] = (0.5 + 1.5 * random.nextDouble()) * (random.nextBoolean() ? 1 : -1);
    }
    Tensor typed;
    try (TensorOptions float64 = new TensorOptions(ScalarType.Double);
        Tensor exact = torch.empty(new long[] {5, 9}, float64, new MemoryFormatOptional());
        DoublePointer data = new DoublePointer(exact.data_ptr())) {
      data.put(reference);
      typed = exact.to(dtype);
    }
    try (typed) {
      float[][] rows = HostTensors.toRows(typed);
      double worst = 0;
      for (int i = 0; i < 5; i++) {
        for (int j = 0; j < 9; j++) {
          worst = Math.max(worst, Math.abs(rows[i][j] - reference[i * 9 + j]) / Math.abs(reference[i * 9 + j]));
        }
      }
      assertTrue(worst <= tolerance, dtype + ": relative error " + worst + " (seed " + seed + ")");
      assertThrows(IllegalArgumentException.class, () -> HostTensors.floats(typed));
    }
  }

  @Test
  void floatsLendsTheStorageItself() {
    float[] v = values(17);
    try (Tensor t = HostTensors.tensor(v, 17);
        org.bytedeco.javacpp.FloatPointer p = HostTensors.floats(t)) {
      p.put(3, 42f);
      assertEquals(42f, HostTensors.toArray(t)[3]);
    }
  }

  private static double[] toDoubles(float[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }
}
