package org.iscengine.kernels;

import java.util.Set;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.kernels.binding.IscAbi;
import org.iscengine.kernels.binding.KernelEntryPoints;
import org.iscengine.kernels.binding.KernelException;
import org.iscengine.kernels.binding.NativeStatus;
import org.iscengine.runtime.CudaKernels;
import org.iscengine.runtime.NativeLibrary;

/**
 * GeM on the hand-written kernels: libisc_cpu for CPU tensors (float32), libisc_cuda for CUDA
 * tensors (float32, float16, bfloat16) on LibTorch's current stream. Thread-safe.
 */
final class NativeGem implements GemKernel {
  static final NativeGem INSTANCE = new NativeGem();

  private NativeGem() {}

  @Override
  public String name() {
    return "native";
  }

  @Override
  public Tensor forward(Tensor x, double p, double eps) {
    GemChecks.defined("input", x);
    GemChecks.forward(x, p, eps, dtypes(x), describe(x));
    requireLibrary(x);
    long n = x.size(0);
    long c = x.size(1);
    Tensor y = x.new_empty(n, c);
    try (IscAbi.GemForwardArgs args = new IscAbi.GemForwardArgs();
        IscAbi.Status status = new IscAbi.Status()) {
      args.x(x.data_ptr())
          .y(y.data_ptr())
          .rows(n * c)
          .hw(x.size(2) * x.size(3))
          .dtype(dtypeCode(x))
          .p((float) p)
          .eps((float) eps)
          .stream(stream(x));
      int code = KernelEntryPoints.of(x.is_cuda()).gemForward().run(args, status);
      NativeStatus.check(code, status);
    }
    return y;
  }

  @Override
  public GemGradients backward(
      Tensor gradOutput, Tensor x, Tensor output, double p, double eps, boolean withP) {
    GemChecks.defined("input", x);
    GemChecks.backward(gradOutput, x, output, p, eps, dtypes(x), describe(x));
    requireLibrary(x);
    long n = x.size(0);
    long c = x.size(1);
    Tensor gradInput = x.new_empty(n, c, x.size(2), x.size(3));
    Tensor gradRows = withP ? Tensors.emptyLike(x, ScalarType.Float, n, c) : null;
    try (IscAbi.GemBackwardArgs args = new IscAbi.GemBackwardArgs();
        IscAbi.Status status = new IscAbi.Status();
        FloatPointer rows = withP ? HostTensors.floats(gradRows) : null) {
      args.x(x.data_ptr())
          .y(output.data_ptr())
          .grad_y(gradOutput.data_ptr())
          .grad_x(gradInput.data_ptr())
          .grad_p_rows(rows)
          .rows(n * c)
          .hw(x.size(2) * x.size(3))
          .dtype(dtypeCode(x))
          .p((float) p)
          .eps((float) eps)
          .stream(stream(x));
      int code = KernelEntryPoints.of(x.is_cuda()).gemBackward().run(args, status);
      NativeStatus.check(code, status);
    }
    if (!withP) {
      return new GemGradients(gradInput, null);
    }
    // The kernel leaves one term per (n, c); a scalar p sums them.
    try (gradRows) {
      return new GemGradients(gradInput, gradRows.sum());
    }
  }

  private static Set<ScalarType> dtypes(Tensor x) {
    return KernelProvider.Kernel.GEM.nativeTypes(x);
  }

  private static String describe(Tensor x) {
    return x.is_cuda() ? "the CUDA kernel (libisc_cuda)" : "the CPU kernel (libisc_cpu)";
  }

  private static void requireLibrary(Tensor x) {
    if (x.is_cuda()) {
      CudaKernels.unavailableReason().ifPresent(reason -> {
        throw new KernelException(-1, "the CUDA GeM kernel cannot run: " + reason);
      });
    } else {
      NativeLibrary.CPU.require();
    }
  }

  private static int dtypeCode(Tensor x) {
    return switch (Tensors.dtype(x)) {
      case Float -> IscAbi.FLOAT32;
      case Half -> IscAbi.FLOAT16;
      case BFloat16 -> IscAbi.BFLOAT16;
      default -> throw new IllegalArgumentException("no native dtype for " + Tensors.dtype(x));
    };
  }

  private static Pointer stream(Tensor x) {
    return x.is_cuda() ? CudaStreams.current(x) : null;
  }
}
