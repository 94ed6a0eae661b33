package org.iscengine.train;

import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * How a training step computes: float32, or LibTorch's autocast (convolutions and matrix
 * products in a 16-bit type, reductions and normalisations in float32) on one device type, with
 * the loss scaled for float16, whose range is too small for small gradients ({@link LossScaler}).
 * The recipes' {@code amp: true} is float16 on CUDA; on the CPU a stage trains in float32.
 *
 * @param device the autocast device type, or null for float32
 * @param dtype the 16-bit type of autocast (Half or BFloat16)
 * @param scaled whether the loss is scaled (float16 needs it; bfloat16 has float32's range)
 */
record MixedPrecision(torch.DeviceType device, ScalarType dtype, boolean scaled) {
  static final MixedPrecision FLOAT32 = new MixedPrecision(null, ScalarType.Float, false);
  static final MixedPrecision CUDA_FLOAT16 = new MixedPrecision(torch.DeviceType.CUDA, ScalarType.Half, true);

  boolean enabled() {
    return device != null;
  }

  /** Turns autocast on for this thread until closed (no-op for float32). */
  Scope enter() {
    return new Scope(this);
  }

  /** An autocast region; closing it restores the thread's previous autocast state. */
  static final class Scope implements AutoCloseable {
    private final torch.DeviceType device;
    private final boolean wasEnabled;
    private final ScalarType previousDtype;
    private final boolean previousCache;

    private Scope(MixedPrecision precision) {
      device = precision.device();
      if (device == null) {
        wasEnabled = false;
        previousDtype = null;
        previousCache = false;
        return;
      }
      wasEnabled = torch.is_autocast_enabled(device);
      previousDtype = torch.get_autocast_dtype(device);
      previousCache = torch.is_autocast_cache_enabled();
      // No cache of cast weights: it would outlive the optimizer step that changes them.
      torch.set_autocast_cache_enabled(false);
      torch.set_autocast_dtype(device, precision.dtype());
      torch.set_autocast_enabled(device, true);
    }

    @Override
    public void close() {
      if (device != null) {
        torch.set_autocast_enabled(device, wasEnabled);
        torch.set_autocast_dtype(device, previousDtype);
        torch.set_autocast_cache_enabled(previousCache);
      }
    }
  }
}
