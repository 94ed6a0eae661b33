package org.iscengine.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.io.AtomicFile;
import org.iscengine.kernels.Tensors;

/**
 * SGD with momentum and weight decay, as PyTorch's {@code torch.optim.SGD} (no dampening, no
 * Nesterov): g = grad + wd · w; b = momentum · b + g (b = g at the first step); w -= lr · b. Its
 * state (the momentum buffers) is saved with a checkpoint so that a resumed run continues exactly.
 */
public final class Sgd implements AutoCloseable {
  private final List<Tensor> params;
  private final List<Tensor> buffers = new ArrayList<>();
  private final double momentum;
  private final double weightDecay;

  public Sgd(TensorVector parameters, double momentum, double weightDecay) {
    this.params = Gradients.trained(parameters);
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    // Zero buffers give PyTorch's first step (b = g) and live outside any caller's pointer scope.
    try (NoGradGuard noGrad = new NoGradGuard()) {
      for (Tensor p : params) {
        buffers.add(torch.zeros_like(p));
      }
    }
  }

  /** Clears the gradients. */
  public void zeroGrad() {
    Gradients.zero(params);
  }

  /** Multiplies the gradients by factor. */
  public void scaleGradients(double factor) {
    Gradients.scale(params, factor);
  }

  /** The global L2 norm of the gradients, scaled down to maxNorm when above it (maxNorm 0: never). */
  public double clipGradients(double maxNorm) {
    return Gradients.clip(params, maxNorm);
  }

  public void step(double lr) {
    try (NoGradGuard noGrad = new NoGradGuard();
        Scalar wd = new Scalar(weightDecay);
        Scalar mom = new Scalar(momentum);
        Scalar minusLr = new Scalar(-lr)) {
      for (int i = 0; i < params.size(); i++) {
        Tensor w = params.get(i);
        Tensor g = w.grad();
        if (!g.defined()) {
          continue;
        }
        try (Tensor d = weightDecay == 0 ? g.clone() : g.add(w, wd)) {
          Tensor b = buffers.get(i);
          b.mul_(mom);
          b.add_(d);
          w.add_(b, minusLr);
        }
      }
    }
  }

  /** Writes the momentum buffers (atomically). */
  public void save(Path file) {
    AtomicFile.write(file, tmp -> {
      try (OutputArchive archive = new OutputArchive()) {
        for (int i = 0; i < buffers.size(); i++) {
          try (Tensor cpu = buffers.get(i).cpu()) {
            archive.write("b" + i, cpu);
          }
        }
        archive.save_to(tmp.toString());
      }
    });
  }

  /** Reads buffers written by {@link #save} for the same parameters. */
  public void load(Path file) {
    List<Tensor> loaded = new ArrayList<>();
    try (InputArchive archive = new InputArchive()) {
      archive.load_from(file.toString());
      for (int i = 0; i < params.size(); i++) {
        Tensor b = new Tensor();
        archive.read("b" + i, b);
        if (!java.util.Arrays.equals(b.shape(), params.get(i).shape())) {
          throw new IllegalArgumentException(file + ": momentum buffer " + i + " does not fit the model");
        }
        try (b) {
          loaded.add(b.to(params.get(i).device(), Tensors.dtype(params.get(i)), false, false,
              new MemoryFormatOptional()));
        }
      }
    } catch (RuntimeException e) {
      loaded.forEach(Tensor::close);
      throw new IllegalArgumentException("cannot read optimizer state " + file + ": " + e.getMessage(), e);
    }
    buffers.forEach(Tensor::close);
    buffers.clear();
    buffers.addAll(loaded);
  }

  @Override
  public void close() {
    buffers.forEach(Tensor::close);
    buffers.clear();
    params.forEach(Tensor::close);
    params.clear();
  }
}
