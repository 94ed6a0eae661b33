package org.iscengine.model;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * torchvision's ResNet (v1.5: the stride on the 3x3 convolution), with its parameter names
 * (conv1, bn1, layer1.0.conv1, ..., layer4.2.downsample.0, fc), so torchvision state dicts load
 * one to one. {@link #features} gives the last feature map (before pooling); with classes &gt; 0,
 * {@link #forward} gives the classifier's logits after global average pooling.
 */
public final class ResNet extends Module implements Backbone {
  private final Conv2d conv1;
  private final BatchNorm bn1;
  private final Sequence[] stages = new Sequence[4];
  private final Linear fc;
  private final int channels;

  /** depth 18, 34, 50, 101 or 152; classes 0 for a backbone without classifier. */
  public ResNet(int depth, int classes) {
    int[] blocks = switch (depth) {
      case 18, 34 -> depth == 18 ? new int[] {2, 2, 2, 2} : new int[] {3, 4, 6, 3};
      case 50 -> new int[] {3, 4, 6, 3};
      case 101 -> new int[] {3, 4, 23, 3};
      case 152 -> new int[] {3, 8, 36, 3};
      default -> throw new IllegalArgumentException("ResNet depth must be 18, 34, 50, 101 or 152, got " + depth);
    };
    boolean bottleneck = depth >= 50;
    int expansion = bottleneck ? 4 : 1;
    conv1 = register_module("conv1", Conv2d.of(3, 64, 7, 2, 3, 1, false));
    bn1 = register_module("bn1", new BatchNorm(64));
    int in = 64;
    for (int s = 0; s < 4; s++) {
      int planes = 64 << s;
      Sequence stage = new Sequence();
      for (int b = 0; b < blocks[s]; b++) {
        int stride = b == 0 && s > 0 ? 2 : 1;
        stage.add(bottleneck ? new Bottleneck(in, planes, stride) : new BasicBlock(in, planes, stride));
        in = planes * expansion;
      }
      stages[s] = register_module("layer" + (s + 1), stage);
    }
    channels = in;
    fc = classes > 0 ? register_module("fc", new Linear(channels, classes, true)) : null;
  }

  @Override
  public int channels() {
    return channels;
  }

  @Override
  public Tensor features(Tensor images) {
    Tensor x = Scoped.forward(this::stem, images);
    for (Sequence stage : stages) {
      Tensor next = stage.forward(x);
      x.close();
      x = next;
    }
    return x;
  }

  /** Logits [N, classes] (requires a classifier). */
  public Tensor forward(Tensor images) {
    if (fc == null) {
      throw new IllegalStateException("this ResNet has no classifier; use features()");
    }
    try (Tensor f = features(images);
        Tensor pooled = f.mean(new long[] {2, 3});
        ) {
      return fc.forward(pooled);
    }
  }

  private Tensor stem(Tensor images) {
    try (Tensor c = conv1.forward(images);
        Tensor b = bn1.forward(c)) {
      Tensor r = Activations.relu(b);
      return torch.max_pool2d(r, new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1}, new long[] {1, 1}, false);
    }
  }

  /** 1x1 convolution + batch norm, as torchvision's downsample (children 0 and 1). */
  private static Sequence downsample(int in, int out, int stride) {
    return new Sequence().add(Conv2d.of(in, out, 1, stride, 0, 1, false)).add(new BatchNorm(out));
  }

  static final class BasicBlock extends Module implements Layer {
    private final Conv2d conv1;
    private final BatchNorm bn1;
    private final Conv2d conv2;
    private final BatchNorm bn2;
    private final Sequence downsample;

    BasicBlock(int in, int planes, int stride) {
      conv1 = register_module("conv1", Conv2d.of(in, planes, 3, stride, 1, 1, false));
      bn1 = register_module("bn1", new BatchNorm(planes));
      conv2 = register_module("conv2", Conv2d.of(planes, planes, 3, 1, 1, 1, false));
      bn2 = register_module("bn2", new BatchNorm(planes));
      downsample = stride != 1 || in != planes ? register_module("downsample", downsample(in, planes, stride)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
      Tensor a = Activations.relu(bn1.forward(conv1.forward(x)));
      Tensor b = bn2.forward(conv2.forward(a));
      Tensor identity = downsample == null ? x : downsample.forward(x);
      return Activations.relu(b.add_(identity));
    }
  }

  static final class Bottleneck extends Module implements Layer {
    private final Conv2d conv1;
    private final BatchNorm bn1;
    private final Conv2d conv2;
    private final BatchNorm bn2;
    private final Conv2d conv3;
    private final BatchNorm bn3;
    private final Sequence downsample;

    Bottleneck(int in, int planes, int stride) {
      int out = planes * 4;
      conv1 = register_module("conv1", Conv2d.of(in, planes, 1, 1, 0, 1, false));
      bn1 = register_module("bn1", new BatchNorm(planes));
      conv2 = register_module("conv2", Conv2d.of(planes, planes, 3, stride, 1, 1, false));
      bn2 = register_module("bn2", new BatchNorm(planes));
      conv3 = register_module("conv3", Conv2d.of(planes, out, 1, 1, 0, 1, false));
      bn3 = register_module("bn3", new BatchNorm(out));
      downsample = stride != 1 || in != out ? register_module("downsample", downsample(in, out, stride)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
      Tensor a = Activations.relu(bn1.forward(conv1.forward(x)));
      Tensor b = Activations.relu(bn2.forward(conv2.forward(a)));
      Tensor c = bn3.forward(conv3.forward(b));
      Tensor identity = downsample == null ? x : downsample.forward(x);
      return Activations.relu(c.add_(identity));
    }
  }
}
