package org.iscengine.kernels.binding;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * Entry points of libisc_cuda ({@code cuda-kernels/}), built only where a CUDA compiler was found.
 * Loading it needs no GPU. Use through {@code org.iscengine.kernels}.
 */
@Platform(
    include = {"isc/common.h", "isc/gem.h", "isc/knn.h", "isc/contrastive.h", "isc/cuda.h"},
    link = "isc_cuda")
public final class IscCuda {
  static {
    Loader.load();
  }

  private IscCuda() {}

  @Name("isc_cuda_abi_version")
  public static native int abiVersion();

  @Name("isc_cuda_build_info")
  @Cast("const char*")
  public static native BytePointer buildInfo();

  @Name("isc_cuda_device_count")
  public static native int deviceCount(IntPointer count, IscAbi.Status status);

  @Name("isc_cuda_device_info_get")
  public static native int deviceInfo(int device, IscAbi.CudaDeviceInfo info, IscAbi.Status status);

  @Name("isc_cuda_driver_version")
  public static native int driverVersion();

  @Name("isc_cuda_runtime_version")
  public static native int runtimeVersion();

  @Name("isc_cuda_gem_forward")
  public static native int gemForward(@Const IscAbi.GemForwardArgs args, IscAbi.Status status);

  @Name("isc_cuda_gem_backward")
  public static native int gemBackward(@Const IscAbi.GemBackwardArgs args, IscAbi.Status status);

  @Name("isc_cuda_knn")
  public static native int knn(@Const IscAbi.KnnArgs args, IscAbi.Status status);

  @Name("isc_cuda_knn_workspace_size")
  public static native int knnWorkspaceSize(
      @Const IscAbi.KnnArgs args, @Cast("size_t*") SizeTPointer bytes, IscAbi.Status status);

  @Name("isc_cuda_contrastive_forward")
  public static native int contrastiveForward(@Const IscAbi.ContrastiveArgs args, IscAbi.Status status);

  @Name("isc_cuda_contrastive_backward")
  public static native int contrastiveBackward(@Const IscAbi.ContrastiveArgs args, IscAbi.Status status);

  @Name("isc_cuda_contrastive_workspace_size")
  public static native int contrastiveWorkspaceSize(
      @Const IscAbi.ContrastiveArgs args, @Cast("size_t*") SizeTPointer bytes, IscAbi.Status status);
}
