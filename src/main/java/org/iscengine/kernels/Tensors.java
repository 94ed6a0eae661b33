package org.iscengine.kernels;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch;

/**
 * Small LibTorch helpers that free their native temporaries at once (the binding would otherwise
 * leave them to the garbage collector).
 */
public final class Tensors {
  private Tensors() {}

  /**
   * The tensor's dtype as the canonical enum constant. JavaCPP returns a fresh enum object from
   * {@code scalar_type()}; without {@code intern()} it fails ==, switch and EnumSet lookups.
   */
  public static ScalarType dtype(Tensor t) {
    return t.scalar_type().intern();
  }

  /** "cpu" or "cuda:N", for messages. */
  public static String deviceName(Tensor t) {
    return t.is_cuda() ? "cuda:" + deviceIndex(t) : "cpu";
  }

  /** The sizes of every dimension. */
  public static long[] shape(Tensor t) {
    long[] shape = new long[(int) t.dim()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = t.size(i);
    }
    return shape;
  }

  public static int deviceIndex(Tensor t) {
    try (Device device = t.device()) {
      return device.index();
    }
  }

  /** An uninitialized tensor of this shape and dtype, on t's device. */
  public static Tensor emptyLike(Tensor t, ScalarType dtype, long... shape) {
    try (TensorOptions options = t.options();
        ScalarTypeOptional optional = new ScalarTypeOptional(dtype);
        TensorOptions typed = options.dtype(optional)) {
      return t.new_empty(shape, typed);
    }
  }

  /** Options for a new tensor of this dtype on this device (the caller closes them). */
  public static TensorOptions options(Device device, ScalarType dtype) {
    try (TensorOptions base = new TensorOptions(device);
        ScalarTypeOptional optional = new ScalarTypeOptional(dtype)) {
      return base.dtype(optional);
    }
  }

  /** A new CPU int64 tensor holding these values, moved to t's device. */
  public static Tensor longsLike(Tensor t, long[] values) {
    try (Tensor cpu = torch.tensor(values);
        Device device = t.device()) {
      return cpu.to(device, ScalarType.Long);
    }
  }

  /** A 0-dim tensor holding value, with t's dtype and device. */
  public static Tensor scalarLike(Tensor t, double value) {
    try (TensorOptions options = t.options();
        Scalar s = new Scalar(value)) {
      return torch.full(new long[0], s, options);
    }
  }

  /** x / max(|x|, 1e-12) per row, as PyTorch's F.normalize; a new tensor (autograd follows it). */
  public static Tensor l2Normalize(Tensor x) {
    try (Scalar p = new Scalar(2.0);
        ScalarOptional two = new ScalarOptional(p);
        Tensor norms = x.norm(two, new long[] {1}, true);
        Scalar eps = new Scalar(1e-12);
        Tensor safe = norms.clamp_min(eps)) {
      return x.div(safe);
    }
  }
}
