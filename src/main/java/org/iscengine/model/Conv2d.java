package org.iscengine.model;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.runtime.ConvolutionCheck;
import org.iscengine.runtime.ConvolutionSuite;

/**
 * A 2-D convolution with PyTorch's parameter names ({@code weight} [out, in / groups, k, k],
 * optional {@code bias}). Padding is either fixed and symmetric, or TensorFlow's "same" for
 * strided convolutions (computed from the input size at each call, the extra pixel on the
 * right/bottom), as timm's Conv2dSame.
 */
public final class Conv2d extends Module implements Layer {
  /** The convolutions run on this thread while {@link #traced} records them. */
  private static final ThreadLocal<List<ConvolutionSuite.Case>> TRACE = new ThreadLocal<>();

  private final Tensor weight;
  private final Tensor bias;
  private final int kernel;
  private final int stride;
  private final int padding;
  private final int groups;
  private final boolean same;

  private Conv2d(int in, int out, int kernel, int stride, int padding, int groups, boolean bias, boolean same) {
    if (in % groups != 0 || out % groups != 0) {
      throw new IllegalArgumentException("conv: channels " + in + " -> " + out + " not divisible by groups " + groups);
    }
    this.kernel = kernel;
    this.stride = stride;
    this.padding = padding;
    this.groups = groups;
    this.same = same;
    this.weight = Params.owned(register_parameter("weight", torch.empty(out, in / groups, kernel, kernel)));
    this.bias = bias ? Params.owned(register_parameter("bias", torch.zeros(out))) : null;
    Init.kaimingNormalFanOut(weight);
  }

  /** Symmetric padding (PyTorch's usual: kernel / 2 keeps the size at stride 1). */
  public static Conv2d of(int in, int out, int kernel, int stride, int padding, int groups, boolean bias) {
    return new Conv2d(in, out, kernel, stride, padding, groups, bias, false);
  }

  /**
   * TensorFlow "same" padding: static (kernel / 2) at stride 1, computed per input when strided.
   */
  public static Conv2d same(int in, int out, int kernel, int stride, int groups, boolean bias) {
    return new Conv2d(in, out, kernel, stride, stride == 1 ? (kernel - 1) / 2 : 0, groups, bias, stride > 1);
  }

  public Tensor weight() {
    return weight;
  }

  @Override
  public Tensor forward(Tensor x) {
    ConvolutionCheck.before(x);
    List<ConvolutionSuite.Case> trace = TRACE.get();
    if (trace != null) {
      trace.add(new ConvolutionSuite.Case((int) weight.size(1) * groups, (int) weight.size(0), kernel, stride, groups,
          bias != null, same, (int) x.size(2), (int) x.size(3)));
    }
    try (TensorOptional b = bias == null ? new TensorOptional() : new TensorOptional(bias)) {
      if (!same) {
        return torch.conv2d(x, weight, b, new long[] {stride, stride}, new long[] {padding, padding},
            new long[] {1, 1}, groups);
      }
      long padH = samePadding(x.size(2));
      long padW = samePadding(x.size(3));
      try (Tensor padded = torch.constant_pad_nd(x, padW / 2, padW - padW / 2, padH / 2, padH - padH / 2)) {
        return torch.conv2d(padded, weight, b, new long[] {stride, stride}, new long[] {0, 0}, new long[] {1, 1},
            groups);
      }
    }
  }

  /**
   * The convolutions that the work runs on this thread, in order, as {@link ConvolutionSuite}
   * cases: what a model at a given input size asks of LibTorch, to check that the suite covers it.
   */
  public static List<ConvolutionSuite.Case> traced(Runnable work) {
    List<ConvolutionSuite.Case> outer = TRACE.get();
    List<ConvolutionSuite.Case> trace = new ArrayList<>();
    TRACE.set(trace);
    try {
      work.run();
    } finally {
      TRACE.set(outer);
    }
    return trace;
  }

  /** max((ceil(size / stride) - 1) * stride + kernel - size, 0). */
  private long samePadding(long size) {
    long out = (size + stride - 1) / stride;
    return Math.max((out - 1) * stride + kernel - size, 0);
  }
}
