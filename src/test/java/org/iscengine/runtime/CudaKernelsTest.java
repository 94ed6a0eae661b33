package org.iscengine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** libisc_cuda loads lazily, without a GPU, and says why it cannot run when it cannot. */
class CudaKernelsTest {
  private static boolean builtIntoThisJar() {
    return CudaKernelsTest.class.getResource("/org/iscengine/kernels/binding/linux-x86_64/libjniIscCuda.so") != null;
  }

  @Test
  void libraryLoadsWhereverItWasBuilt() {
    assertEquals(builtIntoThisJar(), CudaKernels.libraryLoaded(), () -> "reason: " + CudaKernels.unavailableReason());
    if (CudaKernels.libraryLoaded()) {
      assertTrue(CudaKernels.buildInfo().startsWith("CUDA "), CudaKernels.buildInfo());
      assertTrue(CudaKernels.runtimeVersion() >= 11000, "runtime " + CudaKernels.runtimeVersion());
    } else {
      assertTrue(CudaKernels.unavailableReason().orElseThrow().contains("CUDA compiler"));
    }
  }

  @Test
  void devicesAndReasonAgree() {
    boolean anyDevice = !CudaKernels.devices().isEmpty();
    assertEquals(anyDevice, CudaKernels.available());
    assertEquals(anyDevice, CudaKernels.unavailableReason().isEmpty());
    if (CudaKernels.libraryLoaded() && !anyDevice) {
      assertTrue(CudaKernels.unavailableReason().orElseThrow().startsWith("no CUDA device"));
    }
    for (CudaDevice d : CudaKernels.devices()) {
      assertFalse(d.name().isEmpty());
      assertTrue(d.totalMemoryBytes() > 0 && d.multiprocessors() > 0, d.toString());
    }
  }
}
