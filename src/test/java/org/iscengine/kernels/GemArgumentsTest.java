package org.iscengine.kernels;

import static org.iscengine.testing.ArgumentAssert.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.errors.IscException;
import org.iscengine.kernels.binding.IscAbi;
import org.iscengine.kernels.binding.IscCpu;
import org.iscengine.kernels.binding.KernelException;
import org.iscengine.kernels.binding.NativeStatus;
import org.iscengine.runtime.CpuKernels;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;

/** Bad arguments give an exception that names the bad value, on every implementation. */
class GemArgumentsTest {
  private static final List<GemKernel> KERNELS = List.of(Gem.nativeKernel(), Gem.reference());

  @Test
  void rejectsInputsThatAreNotNchw() {
    try (Tensor x3 = RandomTensors.uniform(1, 0, 1, 2, 3, 4);
        Tensor x5 = RandomTensors.uniform(1, 0, 1, 1, 2, 3, 4, 5);
        Tensor empty = torch.empty(2, 0, 3, 3)) {
      for (GemKernel k : KERNELS) {
        assertRejected(() -> k.forward(x3, 3, 1e-6), "4-D", "[2, 3, 4]");
        assertRejected(() -> k.forward(x5, 3, 1e-6), "4-D", "[1, 2, 3, 4, 5]");
        assertRejected(() -> k.forward(empty, 3, 1e-6), "empty", "[2, 0, 3, 3]");
        assertRejected(() -> k.forward(null, 3, 1e-6), "null");
      }
    }
  }

  @Test
  void rejectsNonContiguousInput() {
    try (Tensor x = RandomTensors.uniform(1, 0, 1, 2, 3, 4, 5);
        Tensor channelsLast = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)) {
      for (GemKernel k : KERNELS) {
        assertRejected(() -> k.forward(channelsLast, 3, 1e-6), "contiguous");
      }
    }
  }

  @Test
  void rejectsUnsupportedDtypes() {
    try (Tensor x = RandomTensors.uniform(1, 0, 1, 2, 3, 4, 5);
        Tensor ints = x.to(ScalarType.Int);
        Tensor doubles = x.to(ScalarType.Double)) {
      assertRejected(() -> Gem.nativeKernel().forward(doubles, 3, 1e-6), "Double", "libisc_cpu");
      assertRejected(() -> Gem.reference().forward(ints, 3, 1e-6), "Int");
      assertRejected(() -> Gem.forward(ints, 3), "Int");
    }
  }

  @Test
  void rejectsBadPAndEps() {
    try (Tensor x = RandomTensors.uniform(1, 0, 1, 2, 3, 4, 5)) {
      for (GemKernel k : KERNELS) {
        assertRejected(() -> k.forward(x, 0.5, 1e-6), "p must be in [1.0, 16.0]", "0.5");
        assertRejected(() -> k.forward(x, 17, 1e-6), "p must be", "17");
        assertRejected(() -> k.forward(x, Double.NaN, 1e-6), "p must be", "NaN");
        assertRejected(() -> k.forward(x, 3, 0), "eps", "0.0");
        assertRejected(() -> k.forward(x, 3, -1e-3), "eps", "-0.001");
        assertRejected(() -> k.forward(x, 3, Double.POSITIVE_INFINITY), "eps", "Infinity");
        assertRejected(() -> k.forward(x, 16, 1e-6), "underflows", "p=16");
      }
    }
  }

  @Test
  void rejectsMismatchedGradientsAndOutputs() {
    try (Tensor x = RandomTensors.uniform(1, 0, 1, 2, 3, 4, 5);
        Tensor y = Gem.nativeKernel().forward(x, 3, 1e-6);
        Tensor wrongShape = RandomTensors.uniform(2, 0, 1, 3, 2);
        Tensor wrongDtype = y.to(ScalarType.Double)) {
      for (GemKernel k : KERNELS) {
        assertRejected(() -> k.backward(wrongShape, x, y, 3, 1e-6, false), "gradOutput", "[2, 3]", "[3, 2]");
        assertRejected(() -> k.backward(y, x, wrongShape, 3, 1e-6, false), "output", "[3, 2]");
        assertRejected(() -> k.backward(wrongDtype, x, y, 3, 1e-6, false), "gradOutput", "Double");
        assertRejected(() -> k.backward(null, x, y, 3, 1e-6, true), "gradOutput", "null");
      }
    }
  }

  @Test
  void nativeLibraryReportsBadArgumentsItselfWithoutCrashing() {
    // Straight to the C ABI, past the Java checks: the library must answer with a code and message.
    try (Tensor x = RandomTensors.uniform(1, 0, 1, 2, 3, 4, 5);
        Tensor y = torch.empty(2, 3);
        IscAbi.GemForwardArgs args = new IscAbi.GemForwardArgs();
        IscAbi.Status status = new IscAbi.Status()) {
      args.x(x.data_ptr()).y(y.data_ptr()).rows(6).hw(20).dtype(IscAbi.FLOAT32).p(0.5f).eps(1e-6f);
      assertEquals(IscAbi.INVALID_ARGUMENT, IscCpu.gemForward(args, status));
      assertTrue(status.message().getString().contains("p must be in [1, 16], got 0.5"), status.message().getString());

      args.p(3).rows(0);
      assertEquals(IscAbi.INVALID_ARGUMENT, IscCpu.gemForward(args, status));
      assertTrue(status.message().getString().contains("rows"), status.message().getString());

      args.rows(6).x(null);
      assertEquals(IscAbi.INVALID_ARGUMENT, IscCpu.gemForward(args, status));
      assertTrue(status.message().getString().contains("x is NULL"), status.message().getString());

      args.x(x.data_ptr()).dtype(IscAbi.FLOAT16);
      assertEquals(IscAbi.UNSUPPORTED, IscCpu.gemForward(args, status));
      KernelException e = assertThrows(KernelException.class, () -> NativeStatus.check(IscAbi.UNSUPPORTED, status));
      assertEquals(IscAbi.UNSUPPORTED, e.code());
      assertTrue(e.getMessage().contains("float32"), e.getMessage());

      args.dtype(IscAbi.FLOAT32);
      assertEquals(IscAbi.OK, IscCpu.gemForward(args, status));
      assertEquals("", status.message().getString());
    }
  }

  @Test
  void nativeCodesBecomeKinds() {
    // Java checks arguments before the call: one the library refuses is a bug here, never the caller's input.
    Map<Integer, IscException.Kind> kinds = Map.of(IscAbi.INVALID_ARGUMENT, IscException.Kind.INTERNAL,
        IscAbi.UNSUPPORTED, IscException.Kind.UNSUPPORTED, IscAbi.OUT_OF_MEMORY, IscException.Kind.OUT_OF_RESOURCES,
        IscAbi.DEVICE_ERROR, IscException.Kind.INTERNAL, IscAbi.INTERNAL, IscException.Kind.INTERNAL);
    try (IscAbi.Status status = new IscAbi.Status()) {
      kinds.forEach((code, kind) -> {
        KernelException e = assertThrows(KernelException.class, () -> NativeStatus.check(code, status));
        assertEquals(kind, e.kind(), "code " + code);
        assertEquals(code, e.code());
      });
    }
    assertEquals(IscException.Kind.UNAVAILABLE, new KernelException(-1, "libisc_cuda is not available").kind());
  }

  @Test
  void nativeBackwardNeedsSomethingToCompute() {
    try (Tensor x = RandomTensors.uniform(1, 0, 1, 1, 2, 3, 3);
        Tensor y = Gem.nativeKernel().forward(x, 3, 1e-6);
        IscAbi.GemBackwardArgs args = new IscAbi.GemBackwardArgs();
        IscAbi.Status status = new IscAbi.Status()) {
      args.x(x.data_ptr()).y(y.data_ptr()).grad_y(y.data_ptr()).grad_x(null).grad_p_rows((FloatPointer) null)
          .rows(2).hw(9).dtype(IscAbi.FLOAT32).p(3).eps(1e-6f);
      assertEquals(IscAbi.INVALID_ARGUMENT, IscCpu.gemBackward(args, status));
      assertTrue(status.message().getString().contains("nothing to compute"), status.message().getString());
    }
  }

  @Test
  void threadCountIsValidated() {
    assertRejected(() -> CpuKernels.setThreads(0), "threads", "0");
    assertRejected(() -> CpuKernels.setThreads(5000), "threads", "5000");
  }
}
