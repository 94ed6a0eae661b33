package org.iscengine.kernels;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Small LibTorch helpers that free their native temporaries at once. */
final class Tensors {
  private Tensors() {}

  /**
   * The tensor's dtype as the canonical enum constant. JavaCPP returns a fresh enum object from
   * {@code scalar_type()}; without {@code intern()} it fails ==, switch and EnumSet lookups.
   */
  static ScalarType dtype(Tensor t) {
    return t.scalar_type().intern();
  }

  static int deviceIndex(Tensor t) {
    try (Device device = t.device()) {
      return device.index();
    }
  }

  /** An uninitialized tensor of this shape and dtype, on t's device. */
  static Tensor emptyLike(Tensor t, ScalarType dtype, long... shape) {
    try (TensorOptions options = t.options();
        ScalarTypeOptional optional = new ScalarTypeOptional(dtype);
        TensorOptions typed = options.dtype(optional)) {
      return t.new_empty(shape, typed);
    }
  }

  /** A 0-dim tensor holding value, with t's dtype and device. */
  static Tensor scalarLike(Tensor t, double value) {
    try (TensorOptions options = t.options();
        Scalar s = new Scalar(value)) {
      return torch.full(new long[0], s, options);
    }
  }
}
