package org.iscengine.testing;

import org.bytedeco.pytorch.global.torch;
import org.iscengine.runtime.CudaKernels;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.LoggerFactory;

/** The condition of the tests tagged "gpu": a GPU that both LibTorch and libisc_cuda can use. */
public final class Gpu {
  private static final String SKIP_REASON = findSkipReason();

  private Gpu() {}

  private static String findSkipReason() {
    String reason = null;
    if (!torch.cuda_is_available()) {
      reason = "LibTorch has no CUDA device (CPU build, or no GPU): build with -Pgpu on a GPU machine";
    } else if (!CudaKernels.available()) {
      reason = "libisc_cuda cannot run: " + CudaKernels.unavailableReason().orElse("?");
    }
    if (reason != null) {
      LoggerFactory.getLogger(Gpu.class).warn("GPU tests skipped: {}", reason);
    }
    return reason;
  }

  /** Skips the calling test, with the reason, when no usable GPU is present. */
  public static void require() {
    Assumptions.assumeTrue(SKIP_REASON == null, SKIP_REASON);
  }
}
