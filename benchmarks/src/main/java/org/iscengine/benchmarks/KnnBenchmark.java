package org.iscengine.benchmarks;

import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.kernels.Metric;
import org.iscengine.runtime.CpuKernels;
import org.iscengine.search.ExactIndex;
import org.iscengine.search.FaissIndex;
import org.iscengine.search.Neighbors;
import org.iscengine.search.VectorIndex;
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
 * Exact inner-product kNN on the CPU: the project's kernel ({@link ExactIndex}) against FAISS's
 * IndexFlatIP (Debian's libfaiss 1.7.3 with its OpenBLAS) on the same data and threads:
 * 200 000 references and 1 000 queries of dimension 256, both through {@link VectorIndex#search}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xss4m"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 5, time = 5)
public class KnnBenchmark {
  @Param({"10", "100"})
  public int k;

  @Param({"native", "faiss"})
  public String impl;

  @Param({"200000"})
  public int references;

  @Param({"1000"})
  public int queries;

  @Param({"256"})
  public int dim;

  /** Threads for both sides (OpenMP and BLAS for FAISS, the pool for the kernel); 0: all. */
  @Param({"0"})
  public int threads;

  private VectorIndex index;
  private Tensor query;

  @Setup(Level.Trial)
  public void setUp() {
    int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    torch.set_num_threads(t);
    CpuKernels.setThreads(t);
    FaissIndex.setThreads(t);
    torch.manual_seed(7);
    index = switch (impl) {
      case "native" -> new ExactIndex(dim, Metric.INNER_PRODUCT);
      case "faiss" -> FaissIndex.create(dim, "Flat", Metric.INNER_PRODUCT);
      default -> throw new IllegalArgumentException("impl must be native or faiss, got " + impl);
    };
    try (Tensor base = torch.randn(references, dim)) {
      index.add(base);
    }
    query = torch.randn(queries, dim);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    index.close();
    query.close();
  }

  @Benchmark
  public long search() {
    Neighbors n = index.search(query, k);
    return n.ids()[0];
  }
}
