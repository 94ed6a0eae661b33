package org.iscengine.kernels;

import static org.iscengine.testing.TensorAssert.assertMaxRelativeError;
import static org.iscengine.testing.TensorAssert.assertNormRelativeError;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.testing.Gpu;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CUDA GeM kernel through the Java API on LibTorch CUDA tensors, against a float64 CPU
 * reference. Needs a GPU, libisc_cuda and the gpu build of LibTorch ({@code -Pgpu}); skipped with
 * the reason otherwise.
 */
@Tag("gpu")
class GemCudaTest {
  @BeforeEach
  void needsCuda() {
    Gpu.require();
  }

  static Stream<Arguments> cases() {
    Stream.Builder<Arguments> cases = Stream.builder();
    long[][] shapes = {{2, 3, 5, 7}, {1, 1, 1, 1}, {64, 512, 16, 16}, {32, 2048, 7, 7}, {3, 17, 13, 11}, {2, 3, 64, 64}};
    Object[][] dtypes = {{ScalarType.Float, 1e-5, 1e-5}, {ScalarType.Half, 2e-3, 4e-3}, {ScalarType.BFloat16, 1.6e-2, 3e-2}};
    for (long[] shape : shapes) {
      for (double p : new double[] {1.0, 3.0, 2.6}) {
        for (Object[] dtype : dtypes) {
          cases.add(Arguments.of(shape, p, dtype[0], dtype[1], dtype[2]));
        }
      }
    }
    return cases.build();
  }

  @ParameterizedTest(name = "{0} p={1} {2}")
  @MethodSource("cases")
  void matchesFloat64Reference(long[] shape, double p, ScalarType dtype, double forwardTol, double gradTol) {
    long seed = RandomTensors.freshSeed();
    double eps = Gem.DEFAULT_EPS;
    try (Tensor host = RandomTensors.uniform(seed, -0.5, 3.0, shape);
        Tensor hostGrad = RandomTensors.uniform(seed + 1, -1, 1, shape[0], shape[1]);
        Tensor x = host.to(dtype).cuda();
        Tensor gradY = hostGrad.to(dtype).cuda();
        // The reference sees exactly the values the GPU sees, widened to float64.
        Tensor x64 = x.cpu().to(ScalarType.Double);
        Tensor gradY64 = gradY.cpu().to(ScalarType.Double);
        Tensor y = Gem.nativeKernel().forward(x, p, eps);
        Tensor y64 = Gem.reference().forward(x64, p, eps)) {
      assertEquals(dtype, Tensors.dtype(y));
      assertMaxRelativeError(y, y64, forwardTol, "forward, seed " + seed);
      GemGradients got = Gem.nativeKernel().backward(gradY, x, y, p, eps, false);
      GemGradients want = Gem.reference().backward(gradY64, x64, y64, p, eps, false);
      assertNormRelativeError(got.input(), want.input(), gradTol, "dL/dx, seed " + seed);
    }
  }
}
