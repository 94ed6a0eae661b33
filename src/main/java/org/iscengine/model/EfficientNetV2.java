package org.iscengine.model;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * timm's tf_efficientnetv2_s / tf_efficientnetv2_m (the TensorFlow-ported weights, also the
 * _in21ft1k ones), with timm's parameter names: conv_stem, bn1, blocks.{stage}.{block}.(conv,
 * conv_exp, conv_pw, conv_dw, se.conv_reduce, se.conv_expand, conv_pwl, bn1..bn3), conv_head, bn2,
 * classifier. TensorFlow "same" padding on the strided convolutions, batch norm eps 1e-3, SiLU.
 *
 * <p>As a backbone ({@code head = false}, timm's features_only) the features are the last block
 * stage's output, as the descriptor-track winner used them; with the head, conv_head + bn2 come
 * after (1280 channels), and with classes &gt; 0 a classifier on their average.
 */
public final class EfficientNetV2 extends Module implements Backbone {
  private static final double BN_EPS = 1e-3;
  private static final int HEAD_CHANNELS = 1280;

  /** One stage: block type, repeats, kernel, stride, expansion, output channels, SE ratio. */
  private record Stage(char type, int repeats, int kernel, int stride, int expansion, int out, double se) {}

  private static final Stage[] S = {
    new Stage('c', 2, 3, 1, 1, 24, 0), new Stage('e', 4, 3, 2, 4, 48, 0), new Stage('e', 4, 3, 2, 4, 64, 0),
    new Stage('i', 6, 3, 2, 4, 128, 0.25), new Stage('i', 9, 3, 1, 6, 160, 0.25), new Stage('i', 15, 3, 2, 6, 256, 0.25)
  };

  private static final Stage[] M = {
    new Stage('c', 3, 3, 1, 1, 24, 0), new Stage('e', 5, 3, 2, 4, 48, 0), new Stage('e', 5, 3, 2, 4, 80, 0),
    new Stage('i', 7, 3, 2, 4, 160, 0.25), new Stage('i', 14, 3, 1, 6, 176, 0.25),
    new Stage('i', 18, 3, 2, 6, 304, 0.25), new Stage('i', 5, 3, 1, 6, 512, 0.25)
  };

  private final Conv2d convStem;
  private final BatchNorm bn1;
  private final Sequence[] stages;
  private final Conv2d convHead;
  private final BatchNorm bn2;
  private final Linear classifier;
  private final Sequence blocks;  // held: LibTorch keeps a pointer to it, not a Java reference
  private final int channels;

  /** variant 's' or 'm'; head adds conv_head and bn2; classes &gt; 0 (with the head) a classifier. */
  public EfficientNetV2(char variant, boolean head, int classes) {
    Stage[] arch = switch (variant) {
      case 's', 'S' -> S;
      case 'm', 'M' -> M;
      default -> throw new IllegalArgumentException("EfficientNetV2 variant must be s or m, got " + variant);
    };
    convStem = register_module("conv_stem", Conv2d.same(3, 24, 3, 2, 1, false));
    bn1 = register_module("bn1", new BatchNorm(24, BN_EPS, 0.1));
    blocks = register_module("blocks", new Sequence());
    stages = new Sequence[arch.length];
    int in = 24;
    for (int s = 0; s < arch.length; s++) {
      Stage st = arch[s];
      Sequence stage = new Sequence();
      for (int b = 0; b < st.repeats(); b++) {
        int stride = b == 0 ? st.stride() : 1;
        switch (st.type()) {
          case 'c' -> stage.add(new ConvBnAct(in, st.out(), st.kernel(), stride));
          case 'e' -> stage.add(new EdgeResidual(in, st.out(), st.kernel(), stride, st.expansion()));
          default -> stage.add(new InvertedResidual(in, st.out(), st.kernel(), stride, st.expansion(), st.se()));
        }
        in = st.out();
      }
      blocks.add(stage);
      stages[s] = stage;
    }
    if (head) {
      convHead = register_module("conv_head", Conv2d.of(in, HEAD_CHANNELS, 1, 1, 0, 1, false));
      bn2 = register_module("bn2", new BatchNorm(HEAD_CHANNELS, BN_EPS, 0.1));
      in = HEAD_CHANNELS;
      classifier = classes > 0 ? register_module("classifier", new Linear(in, classes, true)) : null;
    } else {
      if (classes > 0) {
        throw new IllegalArgumentException("a classifier needs the head (conv_head, bn2)");
      }
      convHead = null;
      bn2 = null;
      classifier = null;
    }
    channels = in;
  }

  @Override
  public int channels() {
    return channels;
  }

  @Override
  public Tensor features(Tensor images) {
    Tensor x = Scoped.forward(i -> Activations.silu(bn1.forward(convStem.forward(i))), images);
    for (Sequence stage : stages) {
      Tensor next = stage.forward(x);
      x.close();
      x = next;
    }
    if (convHead != null) {
      Tensor headed = Scoped.forward(t -> Activations.silu(bn2.forward(convHead.forward(t))), x);
      x.close();
      x = headed;
    }
    return x;
  }

  /** Logits [N, classes] (requires the classifier). */
  public Tensor forward(Tensor images) {
    if (classifier == null) {
      throw new IllegalStateException("this EfficientNetV2 has no classifier; use features()");
    }
    try (Tensor f = features(images);
        Tensor pooled = f.mean(new long[] {2, 3})) {
      return classifier.forward(pooled);
    }
  }

  /** timm's make_divisible(v, 8): nearest multiple of 8 (ties up), at least 8, not below 90 % of v. */
  static int makeDivisible(double v) {
    int rounded = Math.max(8, (int) (v + 4) / 8 * 8);
    return rounded < 0.9 * v ? rounded + 8 : rounded;
  }

  /** "cn": convolution, BN + SiLU, residual when shapes allow (stage 0 is built with skip). */
  static final class ConvBnAct extends Module implements Layer {
    private final Conv2d conv;
    private final BatchNorm bn1;
    private final boolean skip;

    ConvBnAct(int in, int out, int kernel, int stride) {
      conv = register_module("conv", Conv2d.same(in, out, kernel, stride, 1, false));
      bn1 = register_module("bn1", new BatchNorm(out, BN_EPS, 0.1));
      skip = stride == 1 && in == out;
    }

    @Override
    public Tensor forward(Tensor x) {
      Tensor y = Activations.silu(bn1.forward(conv.forward(x)));
      return skip ? y.add_(x) : y;
    }
  }

  /** "er" (FusedMBConv): k x k expansion (strided), BN + SiLU, 1x1 projection, BN, residual. */
  static final class EdgeResidual extends Module implements Layer {
    private final Conv2d convExp;
    private final BatchNorm bn1;
    private final Conv2d convPwl;
    private final BatchNorm bn2;
    private final boolean skip;

    EdgeResidual(int in, int out, int kernel, int stride, int expansion) {
      int mid = makeDivisible(in * expansion);
      convExp = register_module("conv_exp", Conv2d.same(in, mid, kernel, stride, 1, false));
      bn1 = register_module("bn1", new BatchNorm(mid, BN_EPS, 0.1));
      convPwl = register_module("conv_pwl", Conv2d.of(mid, out, 1, 1, 0, 1, false));
      bn2 = register_module("bn2", new BatchNorm(out, BN_EPS, 0.1));
      skip = stride == 1 && in == out;
    }

    @Override
    public Tensor forward(Tensor x) {
      Tensor mid = Activations.silu(bn1.forward(convExp.forward(x)));
      Tensor y = bn2.forward(convPwl.forward(mid));
      return skip ? y.add_(x) : y;
    }
  }

  /** "ir" (MBConv): 1x1 expansion, depthwise k x k (strided), squeeze-excite, 1x1 projection. */
  static final class InvertedResidual extends Module implements Layer {
    private final Conv2d convPw;
    private final BatchNorm bn1;
    private final Conv2d convDw;
    private final BatchNorm bn2;
    private final SqueezeExcite se;
    private final Conv2d convPwl;
    private final BatchNorm bn3;
    private final boolean skip;

    InvertedResidual(int in, int out, int kernel, int stride, int expansion, double seRatio) {
      int mid = makeDivisible(in * expansion);
      convPw = register_module("conv_pw", Conv2d.of(in, mid, 1, 1, 0, 1, false));
      bn1 = register_module("bn1", new BatchNorm(mid, BN_EPS, 0.1));
      convDw = register_module("conv_dw", Conv2d.same(mid, mid, kernel, stride, mid, false));
      bn2 = register_module("bn2", new BatchNorm(mid, BN_EPS, 0.1));
      // timm divides the ratio by the expansion: the reduction is a share of the block's input.
      se = register_module("se", new SqueezeExcite(mid, (int) Math.rint(mid * seRatio / expansion)));
      convPwl = register_module("conv_pwl", Conv2d.of(mid, out, 1, 1, 0, 1, false));
      bn3 = register_module("bn3", new BatchNorm(out, BN_EPS, 0.1));
      skip = stride == 1 && in == out;
    }

    @Override
    public Tensor forward(Tensor x) {
      Tensor a = Activations.silu(bn1.forward(convPw.forward(x)));
      Tensor b = Activations.silu(bn2.forward(convDw.forward(a)));
      Tensor y = bn3.forward(convPwl.forward(se.forward(b)));
      return skip ? y.add_(x) : y;
    }
  }

  /** x * sigmoid(expand(SiLU(reduce(mean over H, W of x)))), both 1x1 convolutions with bias. */
  static final class SqueezeExcite extends Module implements Layer {
    private final Conv2d convReduce;
    private final Conv2d convExpand;

    SqueezeExcite(int channels, int reduced) {
      convReduce = register_module("conv_reduce", Conv2d.of(channels, reduced, 1, 1, 0, 1, true));
      convExpand = register_module("conv_expand", Conv2d.of(reduced, channels, 1, 1, 0, 1, true));
    }

    @Override
    public Tensor forward(Tensor x) {
      Tensor s = x.mean(new long[] {2, 3}, true, new org.bytedeco.pytorch.ScalarTypeOptional());
      Tensor gate = torch.sigmoid(convExpand.forward(Activations.silu(convReduce.forward(s))));
      return x.mul(gate);
    }
  }
}
