package org.iscengine.cli;

import java.io.PrintWriter;
import org.iscengine.runtime.ConvolutionCheck;
import org.iscengine.runtime.CudaDevice;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code isc info}: versions, native backends, CUDA devices, threads and the convolution check. */
@Command(
    name = "info",
    description = "Show versions, the native kernel libraries found, CUDA devices, thread counts, and whether"
        + " LibTorch's CPU convolutions passed the check against float64 on this machine (run once, cached).")
final class InfoCommand extends IscCommand {
  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    RuntimeReport report = RuntimeReport.collect();
    PrintWriter out = out();
    json.printIndented(out, report, () -> print(report, out));
    return 0;
  }

  private static void print(RuntimeReport r, PrintWriter out) {
    RuntimeReport.Java j = r.java();
    RuntimeReport.LibTorch t = r.libtorch();
    out.printf("isc-engine    %s%n", r.engineVersion());
    out.printf("Java          %s (%s), %s %s, %d processors%n", j.version(), j.vendor(), j.os(), j.arch(), j.processors());
    out.printf(
        "LibTorch      %s (JavaCPP %s), %s, %d threads (OpenBLAS %d)%n",
        t.version(), t.javacppVersion(), t.cuda() ? "CUDA, " + t.cudaDevices() + " device(s)" : "CPU build or no GPU", t.threads(),
        t.blasThreads());
    RuntimeReport.CpuBackend cpu = r.cpuKernels();
    if (cpu.loaded()) {
      out.printf("CPU kernels   libisc_cpu %s: %s (best %s), %d threads%n", cpu.build(), cpu.isa(), cpu.bestIsa(), cpu.threads());
    } else {
      out.printf("CPU kernels   not loaded: %s (GeM falls back to LibTorch)%n", cpu.problem());
    }
    RuntimeReport.CudaBackend cuda = r.cudaKernels();
    if (cuda.loaded()) {
      out.printf("CUDA kernels  libisc_cuda: %s; driver %s%n", cuda.build(), cuda.driver());
    } else {
      out.printf("CUDA kernels  not loaded: %s%n", cuda.problem());
    }
    if (cuda.devices().isEmpty()) {
      out.printf("CUDA devices  none%s%n", cuda.loaded() && cuda.problem() != null ? " (" + cuda.problem() + ")" : "");
    }
    for (CudaDevice d : cuda.devices()) {
      out.printf(
          "CUDA device   %d: %s (%s, %d SMs, %.1f GiB, L2 %d MiB)%n",
          d.index(), d.name(), d.architecture(), d.multiprocessors(), d.totalMemoryBytes() / 1073741824.0,
          d.l2CacheBytes() >> 20);
    }
    RuntimeReport.FaissBackend faiss = r.faiss();
    if (faiss.loaded()) {
      out.printf("FAISS         libisc_faiss %s, %d threads%n", faiss.build(), faiss.threads());
    } else {
      out.printf("FAISS         not loaded: %s%n", faiss.problem());
    }
    ConvolutionCheck.Verdict v = r.convolutions();
    out.printf("Convolutions  %s: %s; %s%n", v.status(), v.configuration(), v.reason());
    out.printf("              checked on %s%s%n", v.machine(), v.file() == null ? "" : ", verdict in " + v.file());
    out.printf("Device        %s with --device auto%n", r.defaultDevice());
  }
}
