package org.iscengine.kernels.binding;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/** Entry points of libisc_cpu ({@code native/}). Use through {@code org.iscengine.kernels}. */
@Platform(
    include = {"isc/common.h", "isc/gem.h", "isc/knn.h", "isc/contrastive.h", "isc/cpu.h"},
    link = "isc_cpu")
public final class IscCpu {
  static {
    Loader.load();
  }

  private IscCpu() {}

  public static final int ISA_GENERIC = 0;
  public static final int ISA_AVX2 = 1;

  @Name("isc_cpu_abi_version")
  public static native int abiVersion();

  @Name("isc_cpu_build_info")
  @Cast("const char*")
  public static native BytePointer buildInfo();

  @Name("isc_cpu_set_num_threads")
  public static native int setNumThreads(int threads, IscAbi.Status status);

  @Name("isc_cpu_num_threads")
  public static native int numThreads();

  @Name("isc_cpu_best_isa")
  public static native int bestIsa();

  @Name("isc_cpu_active_isa")
  public static native int activeIsa();

  @Name("isc_cpu_set_isa")
  public static native int setIsa(int isa, IscAbi.Status status);

  @Name("isc_cpu_set_environment")
  public static native int setEnvironment(String name, String value, IscAbi.Status status);

  @Name("isc_cpu_gem_forward")
  public static native int gemForward(@Const IscAbi.GemForwardArgs args, IscAbi.Status status);

  @Name("isc_cpu_gem_backward")
  public static native int gemBackward(@Const IscAbi.GemBackwardArgs args, IscAbi.Status status);

  @Name("isc_cpu_knn")
  public static native int knn(@Const IscAbi.KnnArgs args, IscAbi.Status status);

  @Name("isc_cpu_contrastive_forward")
  public static native int contrastiveForward(@Const IscAbi.ContrastiveArgs args, IscAbi.Status status);

  @Name("isc_cpu_contrastive_backward")
  public static native int contrastiveBackward(@Const IscAbi.ContrastiveArgs args, IscAbi.Status status);
}
