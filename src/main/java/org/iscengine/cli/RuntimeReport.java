package org.iscengine.cli;

import java.util.List;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.runtime.ComputeThreads;
import org.iscengine.runtime.ConvolutionCheck;
import org.iscengine.runtime.CpuKernels;
import org.iscengine.runtime.CudaDevice;
import org.iscengine.runtime.CudaKernels;
import org.iscengine.runtime.NativeLibrary;
import org.iscengine.runtime.Versions;
import org.iscengine.search.FaissIndex;

/**
 * What this process runs on: versions, the native kernel libraries found, CUDA devices, thread
 * counts and the verdict on LibTorch's CPU convolutions. Collecting it loads LibTorch and the
 * kernel libraries, and runs the {@link ConvolutionCheck} if this machine has not had it.
 */
public record RuntimeReport(
    String engineVersion,
    Java java,
    LibTorch libtorch,
    CpuBackend cpuKernels,
    CudaBackend cudaKernels,
    FaissBackend faiss,
    ConvolutionCheck.Verdict convolutions,
    String defaultDevice) {

  public record Java(String version, String vendor, String os, String arch, int processors) {}

  public record LibTorch(
      String version, String javacppVersion, boolean cuda, int cudaDevices, int threads, int blasThreads) {}

  /** libisc_cpu; {@code problem} is null when it loaded. */
  public record CpuBackend(boolean loaded, String build, String isa, String bestIsa, int threads, String problem) {}

  /** libisc_cuda; {@code problem} says why it cannot run (not built, no driver, no device). */
  public record CudaBackend(
      boolean loaded, String build, String driver, String runtime, List<CudaDevice> devices, String problem) {}

  /** libisc_faiss; {@code problem} is null when it loaded. */
  public record FaissBackend(boolean loaded, String build, int threads, String problem) {}

  public static RuntimeReport collect() {
    Runtime rt = Runtime.getRuntime();
    Java java =
        new Java(
            System.getProperty("java.version"),
            System.getProperty("java.vendor"),
            System.getProperty("os.name"),
            System.getProperty("os.arch"),
            rt.availableProcessors());
    boolean torchCuda = torch.cuda_is_available();
    LibTorch libtorch =
        new LibTorch(
            Versions.libtorch(),
            Versions.javacpp(),
            torchCuda,
            torchCuda ? torch.cuda_device_count() : 0,
            ComputeThreads.torch(),
            ComputeThreads.blas());
    CpuBackend cpu =
        CpuKernels.available()
            ? new CpuBackend(
                true,
                CpuKernels.buildInfo(),
                CpuKernels.isa().name(),
                CpuKernels.bestIsa().name(),
                CpuKernels.threads(),
                null)
            : new CpuBackend(false, null, null, null, 0, CpuKernels.unavailableReason().orElse(null));
    boolean cudaLoaded = CudaKernels.libraryLoaded();
    CudaBackend cuda =
        new CudaBackend(
            cudaLoaded,
            cudaLoaded ? CudaKernels.buildInfo() : null,
            CudaKernels.versionString(CudaKernels.driverVersion()),
            CudaKernels.versionString(CudaKernels.runtimeVersion()),
            CudaKernels.devices(),
            CudaKernels.unavailableReason().orElse(null));
    FaissBackend faiss =
        NativeLibrary.FAISS.available()
            ? new FaissBackend(true, FaissIndex.buildInfo(), FaissIndex.threads(), null)
            : new FaissBackend(false, null, 0, NativeLibrary.FAISS.unavailableReason().orElse(null));
    return new RuntimeReport(Versions.engine(), java, libtorch, cpu, cuda, faiss, ConvolutionCheck.ensure(),
        ComputeDevice.select("auto").toString());
  }
}
