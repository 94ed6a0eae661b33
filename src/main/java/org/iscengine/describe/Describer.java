package org.iscengine.describe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongConsumer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.descriptor.Pca;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.Tensors;
import org.iscengine.model.DescriptorNetwork;
import org.iscengine.runtime.ComputeDevice;

/**
 * The describing pipeline, the one way images become descriptors: each image is preprocessed
 * once per test-time variant (scale x mirror, OpenCV, on any thread); a batch goes to the device
 * (through pinned memory when asked), is normalised there and cast to the network's precision;
 * the network's unit descriptors of all variants are summed and L2-normalised; an optional PCA
 * follows, then L2 again. Batch extraction, the copy detector and training probes use it.
 *
 * <p>{@link #prepare} is thread-safe; {@link #describe} runs on one thread at a time (the
 * network's). The network and the PCA stay the caller's to close.
 */
public final class Describer {
  private static final int MIN_SIDE = 32;

  /**
   * How images are described.
   *
   * @param resize how an image becomes square
   * @param scales input sizes as multiples of the network's; the descriptor-track winner's
   *     multi-scale test uses 1, sqrt(2) and 1/sqrt(2)
   * @param flip also describe the mirrored image (every scale)
   * @param precision the network's element type: float32; float16 or bfloat16 on a GPU
   * @param pinned stage batches bound for a GPU in pinned host memory (an asynchronous copy)
   */
  public record Settings(Preprocess.Resize resize, double[] scales, boolean flip, ScalarType precision,
      boolean pinned) {
    public Settings {
      checkScales(scales);
      scales = scales.clone();
      precision = precision.intern();
    }

    /** One view at the network's input size (no other scale, no mirror), float32, no pinned staging. */
    public static Settings single(Preprocess.Resize resize) {
      return new Settings(resize, new double[] {1.0}, false, ScalarType.Float, false);
    }

    /** Throws when a scale is outside (0.05, 8] or there is none. */
    public static void checkScales(double[] scales) {
      if (scales.length == 0 || Arrays.stream(scales).anyMatch(s -> !(s > 0.05 && s <= 8))) {
        throw new IllegalArgumentException("scales must be in (0.05, 8], got " + Arrays.toString(scales));
      }
    }

    @Override
    public double[] scales() {
      return scales.clone();
    }
  }

  private final DescriptorNetwork network;
  private final ComputeDevice device;
  private final Settings settings;
  private final Pca pca;
  private final int[] sizes;
  private final boolean[] flips;

  /**
   * A pipeline around a network that already sits on device in settings' precision; pca may be
   * null.
   */
  public Describer(DescriptorNetwork network, ComputeDevice device, Settings settings, Pca pca) {
    if (settings.precision() != ScalarType.Float && !device.isCuda()) {
      throw new IllegalArgumentException("half precision (" + settings.precision() + ") runs on a GPU only; use"
          + " float32 on the CPU");
    }
    if (pca != null && pca.inputDim() != network.dimension()) {
      throw new IllegalArgumentException("the PCA takes " + pca.inputDim() + "-d descriptors, the model gives "
          + network.dimension() + "-d");
    }
    this.network = network;
    this.device = device;
    this.settings = settings;
    this.pca = pca;
    double[] scales = settings.scales();
    int n = scales.length * (settings.flip() ? 2 : 1);
    this.sizes = new int[n];
    this.flips = new boolean[n];
    for (int v = 0; v < n; v++) {
      sizes[v] = Math.max(MIN_SIDE, (int) Math.round(network.config().inputSize() * scales[v % scales.length]));
      flips[v] = v >= scales.length;
    }
  }

  public Settings settings() {
    return settings;
  }

  /** Test-time variants per image: scales, times two with the mirror. */
  public int variants() {
    return sizes.length;
  }

  /** The dimension of the descriptors (the PCA's output when there is one). */
  public int dimension() {
    return pca != null ? pca.outputDim() : network.dimension();
  }

  /** The network's inputs for a decoded BGR image, one [3, S, S] array per variant (thread-safe). */
  public float[][] prepare(Mat bgr) {
    float[][] inputs = new float[sizes.length][];
    for (int v = 0; v < sizes.length; v++) {
      inputs[v] = Preprocess.chw(bgr, sizes[v], settings.resize(), flips[v]);
    }
    return inputs;
  }

  /**
   * A batch of images prepared for one variant as the network takes it: [n, 3, S, S] on the
   * device, normalised, in the network's precision (a new tensor).
   */
  public Tensor input(List<float[]> images, int variant) {
    int s = sizes[variant];
    try (Device target = device.torchDevice();
        Tensor x = HostTensors.stack(images, target, settings.pinned(), 3, s, s);
        Tensor normalised = Preprocess.normalise(x, network.config())) {
      return normalised.to(settings.precision());
    }
  }

  /** Unit descriptors [n, dimension()] of images made by {@link #prepare}. */
  public float[][] describe(List<float[][]> prepared) {
    return describe(prepared, nanos -> { });
  }

  /** As {@link #describe(List)}, telling forwardNanos how long each network pass took. */
  public float[][] describe(List<float[][]> prepared, LongConsumer forwardNanos) {
    try (PointerScope scope = new PointerScope()) {
      Tensor sum = null;
      for (int v = 0; v < sizes.length; v++) {
        List<float[]> images = new ArrayList<>(prepared.size());
        for (float[][] p : prepared) {
          images.add(p[v]);
        }
        Tensor x = input(images, v);
        long t0 = System.nanoTime();
        Tensor f;
        try (Tensor d = network.describe(x)) {  // the caller's to close, outside this scope
          f = d.to(ScalarType.Float);
        }
        forwardNanos.accept(System.nanoTime() - t0);
        sum = sum == null ? f : sum.add(f);
      }
      // The network's descriptors have unit norm already; a sum of variants and a projection do not.
      Tensor unit = sizes.length > 1 ? Tensors.l2Normalize(sum) : sum;
      if (pca != null) {
        unit = Tensors.l2Normalize(pca.apply(unit));
      }
      return HostTensors.toRows(unit);
    }
  }
}
