package org.iscengine.model;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.errors.IscException;
import org.iscengine.kernels.Tensors;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.runtime.ConvolutionCheck;

/**
 * A TorchScript descriptor model (for example SSCD's published files, or any model exported with
 * torch.jit.trace / torch.jit.script) run through LibTorch's JIT: images in, one [N, d] tensor
 * out, converted to float32 and L2-normalised here (the {@link DescriptorNetwork} contract). Its config says the input size and normalisation it expects.
 */
public final class TorchScriptModel implements DescriptorNetwork {
  private final JitModule module;
  private final ModelConfig config;
  private final Path file;
  private final int dimension;

  private TorchScriptModel(JitModule module, ModelConfig config, Path file) {
    this.module = module;
    this.config = config;
    this.file = file;
    this.module.eval();
    this.dimension = probeDimension();
  }

  /** Loads a TorchScript file; config gives its input size and normalisation. */
  public static TorchScriptModel load(Path file, ModelConfig config) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": no such file");
    }
    JitModule module;
    try {
      module = torch.load(file.toString());
    } catch (RuntimeException e) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, file + ": not a TorchScript model LibTorch can load: "
          + firstLine(e), e);
    }
    return new TorchScriptModel(module, config, file);
  }

  public Path file() {
    return file;
  }

  @Override
  public Tensor describe(Tensor images) {
    ConvolutionCheck.before(images);
    try (NoGradGuard noGrad = new NoGradGuard();
        PointerScope scope = new PointerScope()) {
      IValueVector inputs = new IValueVector(new IValue(images));
      IValue result;
      try {
        result = module.forward(inputs);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(file + ": the TorchScript model failed on a batch of shape "
            + java.util.Arrays.toString(images.shape()) + ": " + firstLine(e), e);
      }
      if (!result.isTensor()) {
        throw new IllegalArgumentException(file + ": the TorchScript model returns something other than a tensor");
      }
      Tensor out = result.toTensor();
      if (out.dim() != 2 || out.size(0) != images.size(0)) {
        throw new IllegalArgumentException(file + ": the TorchScript model returns shape "
            + java.util.Arrays.toString(out.shape()) + ", not [batch, dimension]");
      }
      Tensor unit = Tensors.l2Normalize(out.to(torch.ScalarType.Float));
      unit.retainReference();
      return unit;
    }
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public void moveTo(ComputeDevice device, ScalarType dtype) {
    try (Device d = device.torchDevice()) {
      module.to(d, dtype);
    }
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public void close() {
    module.close();
  }

  private int probeDimension() {
    try (Tensor probe = torch.zeros(1, 3, config.inputSize(), config.inputSize());
        Tensor out = describe(probe)) {
      return (int) out.size(1);
    }
  }

  private static String firstLine(RuntimeException e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
