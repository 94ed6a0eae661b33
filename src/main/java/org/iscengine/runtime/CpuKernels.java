package org.iscengine.runtime;

import java.util.Optional;
import org.iscengine.kernels.binding.IscAbi;
import org.iscengine.kernels.binding.IscCpu;
import org.iscengine.kernels.binding.KernelException;
import org.iscengine.kernels.binding.NativeStatus;

/**
 * The CPU kernel library (libisc_cpu): whether it loaded, its thread pool and instruction set.
 * Thread-safe. The thread count is process-wide, like LibTorch's {@code set_num_threads}.
 */
public final class CpuKernels {
  private CpuKernels() {}

  public static boolean available() {
    return NativeLibrary.CPU.available();
  }

  /** Why libisc_cpu is not loaded; empty when it is. */
  public static Optional<String> unavailableReason() {
    return NativeLibrary.CPU.unavailableReason();
  }

  /** Version and compiler of the loaded library. */
  public static String buildInfo() {
    NativeLibrary.CPU.require();
    return IscCpu.buildInfo().getString();
  }

  /** Threads the kernels use, the calling thread included. */
  public static int threads() {
    NativeLibrary.CPU.require();
    return IscCpu.numThreads();
  }

  /**
   * Sets the threads the kernels use (the calling thread included). The default is the number of
   * hardware threads, or {@code ISC_NUM_THREADS} from the environment.
   */
  public static void setThreads(int threads) {
    if (threads < 1 || threads > 4096) {
      throw new IllegalArgumentException("threads must be in [1, 4096], got " + threads);
    }
    NativeLibrary.CPU.require();
    try (IscAbi.Status status = new IscAbi.Status()) {
      NativeStatus.check(IscCpu.setNumThreads(threads, status), status);
    }
  }

  /** The best instruction set this processor supports. */
  public static CpuIsa bestIsa() {
    NativeLibrary.CPU.require();
    return CpuIsa.of(IscCpu.bestIsa());
  }

  /** The instruction set the kernels run on now. */
  public static CpuIsa isa() {
    NativeLibrary.CPU.require();
    return CpuIsa.of(IscCpu.activeIsa());
  }

  /**
   * Switches the kernels to another instruction set, for tests and benchmarks. Fails with
   * {@link KernelException} if the processor lacks it.
   */
  public static void setIsa(CpuIsa isa) {
    NativeLibrary.CPU.require();
    try (IscAbi.Status status = new IscAbi.Status()) {
      NativeStatus.check(IscCpu.setIsa(isa.code, status), status);
    }
  }

  /**
   * Sets an environment variable of this process, as native libraries see it (Java's own view,
   * {@code System.getenv}, does not change). For settings that a library reads on first use,
   * such as oneDNN's {@code ONEDNN_MAX_CPU_ISA}: it must happen before that use.
   */
  public static void setEnvironment(String name, String value) {
    NativeLibrary.CPU.require();
    try (IscAbi.Status status = new IscAbi.Status()) {
      NativeStatus.check(IscCpu.setEnvironment(name, value, status), status);
    }
  }
}
