package org.iscengine.runtime;

import org.bytedeco.openblas.global.openblas_nolapack;
import org.bytedeco.pytorch.global.torch;

/**
 * The threads LibTorch computes with on the CPU, set explicitly rather than left to its defaults.
 *
 * <p>LibTorch runs its operators (oneDNN's convolutions above all) on an OpenMP pool as wide as
 * the physical cores, which it counts with its own CPUID reader; on VMs that leave the CPUID
 * topology leaves empty that count is 1, and a 2-core machine trains on one core. The engine
 * counts the cores the operating system reports instead ({@link Processor#physicalCores}), or
 * takes {@code ISC_TORCH_THREADS}.
 *
 * <p>Matrix products go to OpenBLAS, whose pool is as wide as the machine and whose idle workers
 * spin for a while after every product. Small products (a descriptor head, a whitening) then
 * leave spinning threads on the cores the next convolution needs. One BLAS thread removes that:
 * on 2 cores a one-image forward pass of the mini model went from a median of 104 ms to 15 ms,
 * and extraction from 99 to 123 images/s (benchmarks/RESULTS.md). The large products of this
 * project run in its own kernels, which keep their thread pool. OpenBLAS's OpenMP build sets the
 * calling thread's OpenMP width when its own is set, so LibTorch's is set after it.
 */
public final class ComputeThreads {
  private ComputeThreads() {}

  /**
   * OpenBLAS to one thread, LibTorch to {@link #torchThreads()} (process-wide, and for the
   * calling thread's OpenMP regions; calling it again changes nothing).
   *
   * @throws IllegalArgumentException when {@code ISC_TORCH_THREADS} is not a positive number
   */
  public static void configure() {
    int threads = torchThreads();
    openblas_nolapack.blas_set_num_threads(1);
    torch.set_num_threads(threads);
  }

  /** {@code ISC_TORCH_THREADS}, else the physical cores this process may use. */
  public static int torchThreads() {
    String value = System.getenv("ISC_TORCH_THREADS");
    if (value == null || value.isBlank()) {
      return Processor.physicalCores();
    }
    try {
      int threads = Integer.parseInt(value.trim());
      if (threads > 0 && threads <= 4096) {
        return threads;
      }
    } catch (NumberFormatException e) {
      // named below
    }
    throw new IllegalArgumentException("ISC_TORCH_THREADS must be a number of threads from 1 to 4096, got '"
        + value + "'");
  }

  /** The threads OpenBLAS uses now. */
  public static int blas() {
    return openblas_nolapack.blas_get_num_threads();
  }

  /** The threads LibTorch uses now on the calling thread. */
  public static int torch() {
    return torch.get_num_threads();
  }
}
