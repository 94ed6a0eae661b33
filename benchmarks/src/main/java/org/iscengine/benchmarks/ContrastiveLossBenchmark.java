package org.iscengine.benchmarks;

import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.kernels.ContrastiveForward;
import org.iscengine.kernels.ContrastiveMemoryLoss;
import org.iscengine.kernels.MemoryBank;
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
 * One training step of the memory-bank contrastive loss (forward + backward) on the CPU at the
 * winner's size, a full bank of 20 000, batch 256 (128 images x 2 views), dimension 256: the
 * native kernel against the same loss from LibTorch ops with autograd, on the same threads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xss4m"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class ContrastiveLossBenchmark {
  @Param({"native", "libtorch"})
  public String impl;

  @Param({"256"})
  public int batch;

  @Param({"20000"})
  public int bankSize;

  @Param({"256"})
  public int dim;

  @Param({"0"})
  public int threads;

  private ContrastiveMemoryLoss loss;
  private MemoryBank bank;
  private Tensor embeddings;
  private Tensor labels;

  @Setup(Level.Trial)
  public void setUp() {
    int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    torch.set_num_threads(t);
    CpuKernels.setThreads(t);
    torch.manual_seed(3);
    ContrastiveMemoryLoss nativeLoss = new ContrastiveMemoryLoss(0.0, 1.0);
    loss = impl.equals("native") ? nativeLoss : ContrastiveMemoryLoss.reference(0.0, 1.0);
    bank = new MemoryBank(bankSize, dim);
    // Fill the bank with earlier "batches" of distinct images.
    for (long start = 0; start < bankSize; start += batch) {
      int n = (int) Math.min(batch, bankSize - start);
      try (Tensor x = torch.randn(n, dim);
          Scalar from = new Scalar(start);
          Scalar to = new Scalar(start + n);
          Tensor ids = torch.arange(from, to);
          ContrastiveForward f = nativeLoss.forward(x, ids, bank)) {
        // enqueued
      }
    }
    embeddings = torch.randn(batch, dim);
    // Two views per image: labels 1e6 + i for i < batch/2, twice.
    try (Scalar half = new Scalar((long) batch / 2);
        Scalar offset = new Scalar(1_000_000L);
        Tensor all = torch.arange(new Scalar((long) batch))) {
      labels = torch.remainder(all, half).add(offset);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    bank.close();
    embeddings.close();
    labels.close();
  }

  @Benchmark
  public double forwardBackward() {
    try (ContrastiveForward f = loss.forward(embeddings, labels, bank);
        Tensor grad = loss.backward(f, 1.0)) {
      return f.loss();
    }
  }
}
