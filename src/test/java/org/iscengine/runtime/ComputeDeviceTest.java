package org.iscengine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class ComputeDeviceTest {
  @Test
  void cpuIsAlwaysGranted() {
    ComputeDevice d = ComputeDevice.select("cpu");
    assertFalse(d.isCuda());
    assertEquals("cpu", d.name());
    assertTrue(d.fallbackReason().isEmpty());
  }

  @Test
  void cudaFallsBackToCpuWithAReasonWhenNoGpuCanBeUsed() {
    boolean gpuUsable = torch.cuda_is_available() && CudaKernels.available();
    for (String request : new String[] {"cuda", "cuda:0", "auto"}) {
      ComputeDevice d = ComputeDevice.select(request);
      assertEquals(gpuUsable, d.isCuda(), request);
      assertEquals(!gpuUsable, d.fallbackReason().isPresent(), request);
    }
    ComputeDevice far = ComputeDevice.select("cuda:99");
    assertFalse(far.isCuda());
    assertTrue(far.fallbackReason().isPresent());
  }

  @Test
  void rejectsUnknownRequests() {
    for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "cuda:x", "", "tpu:0"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ComputeDevice.select(bad));
      assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> ComputeDevice.select(null));
  }
}
