package org.iscengine.benchmarks;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.kernels.Gem;
import org.iscengine.kernels.GemGradients;
import org.iscengine.kernels.GemKernel;
import org.iscengine.runtime.CpuKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * GeM pooling on the CPU: the native kernel (libisc_cpu) against LibTorch's composed ops
 * ({@code clamp_min(eps).pow(p).mean([2,3]).pow(1/p)}), both on the same thread count.
 *
 * <p>{@code forward} times one pooling. {@code forwardBackward} times one training step through
 * GeM: native forward then native backward, against LibTorch's forward with autograd then
 * {@code backward()} (the reference's backward does both).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xss4m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class GemBenchmark {
  private static final double EPS = Gem.DEFAULT_EPS;

  /** N x C x H x W: the winner's last stage at 512 px, and a ResNet-50 stage at 224 px. */
  @Param({"64x512x16x16", "32x2048x7x7"})
  public String shape;

  @Param({"1", "3"})
  public double p;

  @Param({"native", "libtorch"})
  public String impl;

  /** Threads for both LibTorch and the native pool; 0 means all processors. */
  @Param({"0"})
  public int threads;

  private GemKernel kernel;
  private Tensor x;
  private Tensor output;
  private Tensor gradOutput;

  @Setup(Level.Trial)
  public void setUp() {
    int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    torch.set_num_threads(t);
    CpuKernels.setThreads(t);
    kernel = switch (impl) {
      case "native" -> Gem.nativeKernel();
      case "libtorch" -> Gem.reference();
      default -> throw new IllegalArgumentException("impl must be native or libtorch, got " + impl);
    };
    long[] dims = Arrays.stream(shape.split("x")).mapToLong(Long::parseLong).toArray();
    torch.manual_seed(42);
    // Uniform in [-0.5, 3): some values fall under eps and are clamped, as after a real layer.
    try (Tensor r = torch.rand(dims);
        Tensor g = torch.rand(dims[0], dims[1]);
        Scalar scale = new Scalar(3.5);
        Scalar half = new Scalar(0.5);
        Tensor scaled = r.mul(scale)) {
      x = scaled.sub(half);
      gradOutput = g.sub(half);
    }
    output = kernel.forward(x, p, EPS);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    x.close();
    output.close();
    gradOutput.close();
  }

  @Benchmark
  public long forward() {
    try (Tensor y = kernel.forward(x, p, EPS)) {
      return y.numel();
    }
  }

  @Benchmark
  public long forwardBackward() {
    if (kernel == Gem.reference()) {
      return consume(kernel.backward(gradOutput, x, output, p, EPS, false));
    }
    try (Tensor y = kernel.forward(x, p, EPS)) {
      return consume(kernel.backward(gradOutput, x, y, p, EPS, false));
    }
  }

  private static long consume(GemGradients g) {
    try (Tensor input = g.input()) {
      return input.numel();
    }
  }
}
