package org.iscengine.kernels;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.cuda.CUDAStream;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * LibTorch's current CUDA stream for a tensor's device, so native kernels queue behind the
 * LibTorch work that produced their inputs. Only reached with CUDA tensors, which exist only with
 * the gpu build (LibTorch CUDA and the CUDA preset on the class path).
 */
final class CudaStreams {
  private CudaStreams() {}

  static Pointer current(Tensor x) {
    try (CUDAStream stream = torch_cuda.getCurrentCUDAStream((byte) Tensors.deviceIndex(x))) {
      return new Pointer(stream.stream());
    }
  }
}
