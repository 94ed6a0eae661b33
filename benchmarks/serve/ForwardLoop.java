import java.nio.file.Path;
import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelFile;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.runtime.ComputeThreads;

/**
 * One-image forward passes of a model in a loop on the CPU (50 warm-up, 600 timed), with
 * OpenBLAS and LibTorch as their defaults leave them, or as ComputeThreads sets them (one OpenBLAS
 * thread, LibTorch on the physical cores): the measurement behind ComputeThreads.
 *   java --enable-native-access=ALL-UNNAMED -cp target/classes:$(cat target/classpath.txt) \
 *     benchmarks/serve/ForwardLoop.java MODEL.iscm [--one-blas-thread]
 */
public class ForwardLoop {
  public static void main(String[] args) {
    if (args.length > 1 && args[1].equals("--one-blas-thread")) {
      ComputeThreads.configure();
    }
    int passes = 600;
    double[] ms = new double[passes];
    try (DescriptorModel model = ModelFile.load(Path.of(args[0]))) {
      model.moveTo(ComputeDevice.CPU, torch.ScalarType.Float);
      int size = model.config().inputSize();
      for (int i = -50; i < passes; i++) {
        try (PointerScope scope = new PointerScope()) {
          Tensor x = torch.randn(1, 3, size, size);
          long t0 = System.nanoTime();
          model.describe(x).close();
          if (i >= 0) {
            ms[i] = (System.nanoTime() - t0) / 1e6;
          }
        }
      }
    }
    Arrays.sort(ms);
    System.out.printf("{\"libtorchThreads\":%d,\"blasThreads\":%d,\"p50Ms\":%.2f,\"p90Ms\":%.2f,\"p99Ms\":%.2f,"
        + "\"maxMs\":%.2f}%n", torch.get_num_threads(), ComputeThreads.blas(), ms[passes / 2], ms[passes * 9 / 10],
        ms[passes * 99 / 100], ms[passes - 1]);
  }
}
