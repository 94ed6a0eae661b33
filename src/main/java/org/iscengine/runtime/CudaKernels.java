package org.iscengine.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bytedeco.javacpp.IntPointer;
import org.iscengine.kernels.binding.IscAbi;
import org.iscengine.kernels.binding.IscCuda;
import org.iscengine.kernels.binding.NativeStatus;

/**
 * The CUDA kernel library (libisc_cuda), loaded lazily on first use. It loads without a GPU;
 * {@link #devices()} is then empty and {@link #unavailableReason()} says why.
 */
public final class CudaKernels {
  private CudaKernels() {}

  /** True when libisc_cuda is loaded and sees at least one device. */
  public static boolean available() {
    return unavailableReason().isEmpty();
  }

  /** Why the CUDA kernels cannot run here (library not built, no driver, no device); empty if they can. */
  public static Optional<String> unavailableReason() {
    Optional<String> library = NativeLibrary.CUDA.unavailableReason();
    if (library.isPresent()) {
      return library;
    }
    try (IntPointer count = new IntPointer(1);
        IscAbi.Status status = new IscAbi.Status()) {
      NativeStatus.check(IscCuda.deviceCount(count, status), status);
      if (count.get() == 0) {
        String why = status.message().getString();
        return Optional.of("no CUDA device" + (why.isEmpty() ? "" : ": " + why));
      }
      return Optional.empty();
    }
  }

  /** Whether libisc_cuda itself is loaded (built for this machine), device or not. */
  public static boolean libraryLoaded() {
    return NativeLibrary.CUDA.available();
  }

  /** Toolkit version and GPU architectures the library was built for. */
  public static String buildInfo() {
    NativeLibrary.CUDA.require();
    return IscCuda.buildInfo().getString();
  }

  /** Devices visible to the library; empty without a driver or GPU. */
  public static List<CudaDevice> devices() {
    List<CudaDevice> devices = new ArrayList<>();
    if (!NativeLibrary.CUDA.available()) {
      return devices;
    }
    try (IntPointer count = new IntPointer(1);
        IscAbi.Status status = new IscAbi.Status();
        IscAbi.CudaDeviceInfo info = new IscAbi.CudaDeviceInfo()) {
      NativeStatus.check(IscCuda.deviceCount(count, status), status);
      for (int i = 0; i < count.get(); i++) {
        NativeStatus.check(IscCuda.deviceInfo(i, info, status), status);
        devices.add(
            new CudaDevice(
                i,
                info.name().getString(),
                info.major(),
                info.minor(),
                info.multiprocessors(),
                info.total_memory_bytes(),
                info.l2_cache_bytes()));
      }
    }
    return devices;
  }

  /** CUDA driver version as 1000*major + 10*minor; 0 without a driver. */
  public static int driverVersion() {
    return NativeLibrary.CUDA.available() ? IscCuda.driverVersion() : 0;
  }

  /** CUDA runtime version the library carries (statically linked). */
  public static int runtimeVersion() {
    return NativeLibrary.CUDA.available() ? IscCuda.runtimeVersion() : 0;
  }

  /** For example 13000 → "13.0". */
  public static String versionString(int version) {
    return version == 0 ? "none" : (version / 1000) + "." + (version % 1000) / 10;
  }
}
