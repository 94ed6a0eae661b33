package org.iscengine.runtime;

import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * LibTorch on the CPU convolves on its OpenMP threads (oneDNN) and multiplies matrices with
 * OpenBLAS, whose pool is as wide as the machine and whose idle workers spin for a while after
 * every product. Small products (a descriptor head, a whitening) then leave spinning threads on
 * the cores the next convolution needs. One BLAS thread removes that: on 2 cores a one-image
 * forward pass of the mini model went from a median of 104 ms to 15 ms, and extraction from
 * 99 to 123 images/s (benchmarks/RESULTS.md). The large products of this project run in its own
 * kernels, which keep their thread pool.
 */
public final class BlasThreads {
  private BlasThreads() {}

  /** Sets OpenBLAS to one thread (process-wide; calling it again changes nothing). */
  public static void useOne() {
    openblas_nolapack.blas_set_num_threads(1);
  }

  /** The threads OpenBLAS uses now. */
  public static int current() {
    return openblas_nolapack.blas_get_num_threads();
  }
}
