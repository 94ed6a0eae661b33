package org.iscengine.kernels;

import static org.iscengine.testing.TensorAssert.assertNormRelativeError;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.testing.Gpu;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The CUDA memory-bank loss through the Java API, against the CPU kernel step by step. */
@Tag("gpu")
class ContrastiveCudaTest {
  @BeforeEach
  void needsCuda() {
    Gpu.require();
  }

  @Test
  void followsTheCpuKernelOverBatchesThatWrapTheRing() {
    long seed = RandomTensors.freshSeed();
    ContrastiveMemoryLoss loss = new ContrastiveMemoryLoss(0.0, 1.0);
    ComputeDevice gpu = ComputeDevice.select("cuda");
    try (MemoryBank cpuBank = new MemoryBank(100, 24);
        MemoryBank gpuBank = new MemoryBank(100, 24, gpu)) {
      for (int step = 0; step < 5; step++) {
        try (Tensor x = RandomTensors.uniform(seed + step, -1, 1, 32, 24);
            Tensor labels = torch.remainder(torch.arange(new org.bytedeco.pytorch.Scalar(32L)),
                new org.bytedeco.pytorch.Scalar(16L));
            Tensor xc = x.cuda();
            Tensor lc = labels.cuda();
            ContrastiveForward c = loss.forward(x, labels, cpuBank);
            ContrastiveForward g = loss.forward(xc, lc, gpuBank);
            Tensor gc = loss.backward(c, 1);
            Tensor gg = loss.backward(g, 1)) {
          assertEquals(c.stats().activePositives(), g.stats().activePositives());
          assertEquals(c.stats().activeNegatives(), g.stats().activeNegatives());
          assertEquals(c.loss(), g.loss(), 1e-5 * (1 + c.loss()), "seed " + seed);
          assertNormRelativeError(gg, gc, 1e-4, "dL/dx, seed " + seed);
        }
      }
    }
  }
}
