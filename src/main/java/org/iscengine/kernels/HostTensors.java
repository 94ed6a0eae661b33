package org.iscengine.kernels;

import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The one place where Java float arrays and LibTorch tensors meet: arrays become float32 tensors
 * on any device (staged in pinned host memory and copied asynchronously when asked), and tensors
 * of any device, layout and floating type come back as float32 arrays. Depends on LibTorch only,
 * so it can move with the other tensor helpers.
 */
public final class HostTensors {
  private HostTensors() {}

  /** A new float32 CPU tensor of this shape holding values in row-major order. */
  public static Tensor tensor(float[] values, long... shape) {
    try (Device cpu = new Device("cpu")) {
      return tensor(values, cpu, false, shape);
    }
  }

  /** A new float32 tensor of this shape on device holding values in row-major order; pinned as in stack. */
  public static Tensor tensor(float[] values, Device device, boolean pinned, long... shape) {
    long n = elements(shape);
    if (values.length != n) {
      throw new IllegalArgumentException(values.length + " values for shape " + Arrays.toString(shape) + " ("
          + n + ")");
    }
    return copyIn(shape, device, pinned, p -> p.put(values));
  }

  /** Equally long arrays stacked as a new float32 CPU tensor [items, itemShape...]. */
  public static Tensor stack(List<float[]> items, long... itemShape) {
    try (Device cpu = new Device("cpu")) {
      return stack(items, cpu, false, itemShape);
    }
  }

  /**
   * Equally long arrays stacked as a new float32 tensor [items, itemShape...] on device. With
   * pinned, a GPU copy is staged in page-locked memory and does not wait for the GPU (LibTorch
   * keeps the staging buffer until the copy is done).
   */
  public static Tensor stack(List<float[]> items, Device device, boolean pinned, long... itemShape) {
    long perItem = elements(itemShape);
    for (int i = 0; i < items.size(); i++) {
      if (items.get(i).length != perItem) {
        throw new IllegalArgumentException("item " + i + " has " + items.get(i).length + " values, shape "
            + Arrays.toString(itemShape) + " holds " + perItem);
      }
    }
    long[] shape = new long[itemShape.length + 1];
    shape[0] = items.size();
    System.arraycopy(itemShape, 0, shape, 1, itemShape.length);
    return copyIn(shape, device, pinned, p -> {
      for (int i = 0; i < items.size(); i++) {
        p.position(i * perItem).put(items.get(i));
      }
    });
  }

  private static long elements(long[] shape) {
    long n = 1;
    for (long s : shape) {
      if (s < 0) {
        throw new IllegalArgumentException("negative size in shape " + Arrays.toString(shape));
      }
      n *= s;
    }
    return n;
  }

  /** A float32 host tensor of this shape, filled by fill, then moved to device. */
  private static Tensor copyIn(long[] shape, Device device, boolean pinned, Consumer<FloatPointer> fill) {
    boolean toGpu = device.is_cuda();
    Tensor host;
    try (TensorOptions float32 = new TensorOptions(ScalarType.Float);
        Tensor pageable = torch.empty(shape, float32, new MemoryFormatOptional())) {
      host = pinned && toGpu ? pageable.pin_memory() : new Tensor(pageable);
    }
    try (FloatPointer p = new FloatPointer(host.data_ptr())) {
      fill.accept(p);
    }
    if (!toGpu) {
      return host;
    }
    try (host) {
      return host.to(device, ScalarType.Float, pinned, false, new MemoryFormatOptional());
    }
  }

  /** All values of t in row-major order as float32, whatever its device, strides and floating type. */
  public static float[] toArray(Tensor t) {
    if (t.numel() > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a tensor of " + t.numel() + " values does not fit a Java array");
    }
    float[] out = new float[(int) t.numel()];
    if (out.length > 0) {
      readHost(t, p -> p.get(out));
    }
    return out;
  }

  /** The rows of a matrix [n, d] as float32, whatever its device, strides and floating type. */
  public static float[][] toRows(Tensor t) {
    if (t.dim() != 2) {
      throw new IllegalArgumentException("rows of a matrix: got shape " + Arrays.toString(t.shape()));
    }
    int n = Math.toIntExact(t.size(0));
    int d = Math.toIntExact(t.size(1));
    float[][] rows = new float[n][d];
    if (n == 0 || d == 0) {
      return rows;
    }
    readHost(t, p -> {
      for (int i = 0; i < n; i++) {
        p.position((long) i * d).get(rows[i]);
      }
    });
    return rows;
  }

  /**
   * Lends reader t's values as a dense float32 host buffer in row-major order (t itself when it
   * is one already, else a converted copy freed afterwards); the buffer is valid during the call.
   */
  private static void readHost(Tensor t, Consumer<FloatPointer> reader) {
    try (Device cpu = new Device("cpu");
        Tensor host = t.to(cpu, ScalarType.Float, false, false, new MemoryFormatOptional());
        Tensor dense = host.contiguous();
        FloatPointer p = new FloatPointer(dense.data_ptr())) {
      reader.accept(p);
    }
  }

  /**
   * The storage of a contiguous float32 tensor, not copied: a host address, or a device address
   * for a GPU tensor, to hand to native code. Valid while t lives.
   */
  public static FloatPointer floats(Tensor t) {
    ScalarType dtype = t.scalar_type().intern();
    if (dtype != ScalarType.Float || !t.is_contiguous()) {
      throw new IllegalArgumentException("native code takes contiguous float32 tensors, got " + dtype
          + (t.is_contiguous() ? "" : " (not contiguous)"));
    }
    return new FloatPointer(t.data_ptr());
  }
}
