import java.util.Arrays;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelConfig;
import org.iscengine.runtime.ComputeDevice;

/**
 * What each way of running LibTorch's CPU convolutions costs and gives, in this process's
 * configuration (set ONEDNN_MAX_CPU_ISA outside; --no-onednn disables oneDNN): for a random
 * descriptor network, its relative error against the same network in float64 (3 images, 96x112)
 * in the NCHW and channels-last layouts, and its throughput on batches of 16 images of 128 px
 * (2 warm-up batches, then the median of 5). Run with -Disc.convolutionCheck=off, so that the
 * engine applies nothing of its own. One JSON line per layout:
 *   java -Disc.convolutionCheck=off -cp target/classes:$(cat target/classpath.txt) \
 *     benchmarks/convolution/ConvolutionRemedies.java ARCH THREADS [--no-onednn]
 * benchmarks/convolution/run.sh runs every configuration in a child process each.
 */
public class ConvolutionRemedies {
  public static void main(String[] args) {
    String arch = args[0];
    int threads = Integer.parseInt(args[1]);
    boolean onednn = !(args.length > 2 && args[2].equals("--no-onednn"));
    torch.globalContext().setUserEnabledMkldnn(onednn);
    torch.set_num_threads(threads);
    String isa = System.getenv().getOrDefault("ONEDNN_MAX_CPU_ISA", "default");
    for (boolean channelsLast : new boolean[] {false, true}) {
      torch.manual_seed(3);
      try (DescriptorModel model = new DescriptorModel(new ModelConfig(arch, "fc-bn", 64, 3.0, false, 128,
              ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD));
          DescriptorModel reference = new DescriptorModel(model.config());
          PointerScope scope = new PointerScope()) {
        copy(model, reference);
        reference.to(torch.ScalarType.Double, false);
        Tensor x = torch.randn(3, 3, 96, 112);
        Tensor expected = reference.describe(x.to(torch.ScalarType.Double));
        if (channelsLast) {
          model.moveTo(ComputeDevice.CPU, torch.ScalarType.Float);
        }
        Tensor actual = model.describe(x).to(torch.ScalarType.Double);
        double error = torch.norm(actual.sub(expected)).item_double() / torch.norm(expected).item_double();
        Tensor batch = torch.randn(16, 3, 128, 128);
        double[] seconds = new double[7];
        for (int i = 0; i < seconds.length; i++) {
          long t0 = System.nanoTime();
          model.describe(batch).close();
          seconds[i] = (System.nanoTime() - t0) / 1e9;
        }
        double[] timed = Arrays.copyOfRange(seconds, 2, seconds.length);
        Arrays.sort(timed);
        System.out.printf(Locale.ROOT, "{\"arch\": \"%s\", \"layout\": \"%s\", \"isa\": \"%s\", \"onednn\": %b,"
            + " \"threads\": %d, \"relative_error\": %.3g, \"images_per_s\": %.1f}%n", arch,
            channelsLast ? "channels-last" : "nchw", isa, onednn, threads, error, 16 / timed[timed.length / 2]);
      }
    }
  }

  private static void copy(DescriptorModel from, DescriptorModel to) {
    try (NoGradGuard noGrad = new NoGradGuard();
        TensorVector a = from.parameters();
        TensorVector b = to.parameters();
        TensorVector c = from.buffers();
        TensorVector d = to.buffers()) {
      for (long i = 0; i < a.size(); i++) {
        b.get(i).copy_(a.get(i));
      }
      for (long i = 0; i < c.size(); i++) {
        d.get(i).copy_(c.get(i));
      }
    }
  }
}
