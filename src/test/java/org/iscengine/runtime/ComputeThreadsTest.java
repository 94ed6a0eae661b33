package org.iscengine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ComputeThreadsTest {
  @Test
  void libtorchGetsTheCoresAndOpenblasOneThreadOnEveryThread() throws Exception {
    int cores = Processor.physicalCores();
    assertTrue(cores >= 1 && cores <= Runtime.getRuntime().availableProcessors(), "cores " + cores);
    ComputeThreads.configure();
    assertEquals(ComputeThreads.torchThreads(), ComputeThreads.torch());
    assertEquals(1, ComputeThreads.blas());
    // A thread started later (a model or batching thread) computes as wide.
    AtomicInteger seen = new AtomicInteger();
    Thread other = new Thread(() -> seen.set(ComputeThreads.torch()));
    other.start();
    other.join();
    assertEquals(ComputeThreads.torchThreads(), seen.get());
  }
}
