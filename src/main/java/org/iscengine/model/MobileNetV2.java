package org.iscengine.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/**
 * Keras's MobileNetV2 (width 1.0) up to {@code out_relu}, 1280 channels; the classifier after
 * it is not built. Its modules carry the Keras layer names (Conv1, bn_Conv1,
 * expanded_conv_depthwise, block_1_expand, block_1_expand_BN, ..., Conv_1, Conv_1_bn), so Keras
 * weights load by name ({@link org.iscengine.model.keras.KerasStateDict}). Batch norm eps 1e-3,
 * ReLU6. Keras pads its stride-2 convolutions with a ZeroPadding2D of (size + 1) % 2 rows and
 * columns before and 1 after, then convolves "valid": that is TensorFlow's "same" padding, which
 * {@link Conv2d#same} computes per input; the stride-1 ones are "same" too (1 pixel all round).
 * Depthwise convolutions are grouped convolutions with one group per channel.
 */
public final class MobileNetV2 extends Module implements Backbone {
  private static final double BN_EPS = 1e-3;
  private static final int STEM = 32;
  private static final int HEAD = 1280;
  /** Keras's inverted residual settings: expansion, output channels, repeats, first stride. */
  private static final int[][] SETTINGS = {
    {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}
  };

  /** The steps in order (stem, 17 blocks, head), each named by the Keras layer whose output it gives. */
  private final Map<String, Layer> steps = new LinkedHashMap<>();

  public MobileNetV2() {
    Conv2d conv1 = register_module("Conv1", Conv2d.same(3, STEM, 3, 2, 1, false));
    BatchNorm bnConv1 = register_module("bn_Conv1", new BatchNorm(STEM, BN_EPS, 0.1));
    steps.put("Conv1_relu", x -> Activations.relu6(bnConv1.forward(conv1.forward(x))));
    int in = STEM;
    int id = 0;
    for (int[] s : SETTINGS) {
      for (int r = 0; r < s[2]; r++) {
        Block block = new Block(id == 0 ? "expanded_conv_" : "block_" + id + "_", in, s[1], r == 0 ? s[3] : 1, s[0]);
        steps.put(block.output, block);
        in = s[1];
        id++;
      }
    }
    Conv2d conv = register_module("Conv_1", Conv2d.of(in, HEAD, 1, 1, 0, 1, false));
    BatchNorm bn = register_module("Conv_1_bn", new BatchNorm(HEAD, BN_EPS, 0.1));
    steps.put("out_relu", x -> Activations.relu6(bn.forward(conv.forward(x))));
  }

  @Override
  public int channels() {
    return HEAD;
  }

  @Override
  public Tensor features(Tensor images) {
    return featuresThrough(images, "out_relu");
  }

  /** The Keras layers whose outputs {@link #featuresThrough} gives: the stem's, each block's, out_relu. */
  public List<String> outputs() {
    return new ArrayList<>(steps.keySet());
  }

  /**
   * The output of one of the Keras layers that end a step (see {@link #outputs}), e.g.
   * block_3_project_BN, block_2_add or out_relu: to compare the network with Keras layer by layer.
   */
  public Tensor featuresThrough(Tensor images, String layer) {
    if (!steps.containsKey(layer)) {
      throw new IllegalArgumentException("MobileNetV2 has no step ending at layer " + layer + "; known: "
          + steps.keySet());
    }
    Tensor x = images;
    for (Map.Entry<String, Layer> step : steps.entrySet()) {
      Tensor next = Scoped.forward(step.getValue(), x);
      if (x != images) {
        x.close();
      }
      x = next;
      if (step.getKey().equals(layer)) {
        break;
      }
    }
    return x;
  }

  /**
   * Keras's inverted residual block: 1x1 expansion (not in the first block), depthwise 3x3,
   * 1x1 projection without activation, and the input added when the shapes allow.
   */
  private final class Block implements Layer {
    private final Conv2d expand;
    private final BatchNorm expandBn;
    private final Conv2d depthwise;
    private final BatchNorm depthwiseBn;
    private final Conv2d project;
    private final BatchNorm projectBn;
    private final boolean residual;
    final String output;

    Block(String prefix, int in, int out, int stride, int expansion) {
      int mid = in * expansion;
      if (expansion != 1) {
        expand = register_module(prefix + "expand", Conv2d.of(in, mid, 1, 1, 0, 1, false));
        expandBn = register_module(prefix + "expand_BN", new BatchNorm(mid, BN_EPS, 0.1));
      } else {
        expand = null;
        expandBn = null;
      }
      depthwise = register_module(prefix + "depthwise", Conv2d.same(mid, mid, 3, stride, mid, false));
      depthwiseBn = register_module(prefix + "depthwise_BN", new BatchNorm(mid, BN_EPS, 0.1));
      project = register_module(prefix + "project", Conv2d.of(mid, out, 1, 1, 0, 1, false));
      projectBn = register_module(prefix + "project_BN", new BatchNorm(out, BN_EPS, 0.1));
      residual = stride == 1 && in == out;
      output = prefix + (residual ? "add" : "project_BN");
    }

    @Override
    public Tensor forward(Tensor x) {
      Tensor a = expand == null ? x : Activations.relu6(expandBn.forward(expand.forward(x)));
      Tensor b = Activations.relu6(depthwiseBn.forward(depthwise.forward(a)));
      Tensor y = projectBn.forward(project.forward(b));
      return residual ? y.add_(x) : y;
    }
  }
}
