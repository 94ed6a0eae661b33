package org.iscengine.model;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.kernels.Gem;
import org.iscengine.kernels.Tensors;
import org.iscengine.runtime.ComputeDevice;

/**
 * A descriptor network: backbone, GeM pooling (our kernel), head, L2 normalisation. Parameter
 * names follow the descriptor-track winner's ISCNet: {@code backbone.*}, {@code fc.weight},
 * {@code bn.*}, and {@code pooling.p} when p is learned.
 */
public final class DescriptorModel extends Module implements DescriptorNetwork {
  private final ModelConfig config;
  private final Backbone backbone;
  private final Linear fc;
  private final BatchNorm bn;
  private final Tensor p;
  private boolean channelsLast;
  private final Module pooling;  // held: LibTorch keeps a pointer to it, not a Java reference

  public DescriptorModel(ModelConfig config) {
    this.config = config;
    Backbone b = Architecture.of(config.architecture()).create();
    this.backbone = b;
    register_module("backbone", (Module) b);
    int channels = b.channels();
    switch (config.head()) {
      case "fc-bn" -> {
        fc = register_module("fc", new Linear(channels, config.dimension(), false));
        bn = register_module("bn", new BatchNorm(config.dimension()));
      }
      case "linear" -> {
        fc = register_module("fc", new Linear(channels, config.dimension(), true));
        bn = null;
      }
      default -> {
        fc = null;
        bn = null;
      }
    }
    if (config.learnableP()) {
      pooling = register_module("pooling", new Module());
      try (Tensor init = torch.full(new long[] {1}, new org.bytedeco.pytorch.Scalar(config.gemP()))) {
        p = Params.owned(pooling.register_parameter("p", init));
      }
    } else {
      p = null;
      pooling = null;
    }
    eval();  // built for inference; a trainer switches to train()
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  public Backbone backbone() {
    return backbone;
  }

  /** The current GeM power (the learned one when p is a parameter). */
  public double gemP() {
    return p == null ? config.gemP() : p.item_double();
  }

  @Override
  public int dimension() {
    return config.outputDimension(backbone.channels());
  }

  /**
   * Unit descriptors [N, dimension] of normalised images ({@link DescriptorNetwork#describe}),
   * without gradients and with BatchNorm's running statistics (inference mode), also in the
   * middle of training.
   */
  @Override
  public Tensor describe(Tensor images) {
    boolean training = is_training();
    if (training) {
      train(false);
    }
    try (NoGradGuard noGrad = new NoGradGuard();
        PointerScope scope = new PointerScope()) {
      // The GeM kernel reads NCHW; a channels-last backbone (faster convolutions on CPUs) hands over NHWC.
      Tensor input = channelsLast ? images.contiguous(torch.MemoryFormat.ChannelsLast) : images;
      Tensor features = backbone.features(input).contiguous();
      Tensor pooled = Gem.forward(features, gemP());
      Tensor projected = head(pooled);
      ScalarType dtype = Tensors.dtype(projected);
      // As the contract says: half-precision descriptors are normalised (and returned) in float32.
      Tensor out = Tensors.l2Normalize(dtype == ScalarType.Half || dtype == ScalarType.BFloat16
          ? projected.to(ScalarType.Float) : projected);
      out.retainReference();
      return out;
    } finally {
      if (training) {
        train(true);
      }
    }
  }

  /** The head on pooled features [N, channels] (before the L2 normalisation), with autograd. */
  public Tensor head(Tensor pooled) {
    if (fc == null) {
      return new Tensor(pooled);
    }
    Tensor projected = fc.forward(pooled);
    if (bn == null) {
      return projected;
    }
    try (projected) {
      return bn.forward(projected);
    }
  }

  /**
   * Moves the weights to a device and type, with convolution weights in channels-last layout:
   * oneDNN on CPUs and cuDNN's tensor cores convolve NHWC faster (see the extraction benchmark in
   * benchmarks/RESULTS.md, where PyTorch itself gains 1.5x from it).
   */
  @Override
  public void moveTo(ComputeDevice device, ScalarType dtype) {
    try (Device d = device.torchDevice()) {
      to(d, dtype, false);
    }
    try (NoGradGuard noGrad = new NoGradGuard();
        PointerScope scope = new PointerScope();
        TensorVector params = parameters()) {
      for (long i = 0; i < params.size(); i++) {
        Tensor w = params.get(i);
        if (w.dim() == 4) {
          w.set_data(w.contiguous(torch.MemoryFormat.ChannelsLast));
        }
      }
    }
    channelsLast = true;
  }

  public Tensor gemParameter() {
    return p;
  }
}
