package org.iscengine.model;

import java.util.Arrays;
import java.util.Locale;

/**
 * What a descriptor model is: backbone architecture, head, GeM power and input handling. Stored
 * with the weights in isc checkpoints.
 *
 * @param architecture resnet18, resnet34, resnet50, resnet101, resnet152, tf_efficientnetv2_s,
 *     tf_efficientnetv2_m, or torchscript
 * @param head {@code fc-bn} (the descriptor-track winner: Linear without bias, BatchNorm1d,
 *     L2), {@code linear} (Linear with bias, L2, as SSCD) or {@code none} (GeM features, L2)
 * @param dimension descriptor dimension of the head (ignored for {@code none})
 * @param gemP GeM power (1 = average pooling)
 * @param learnableP whether p is a trained parameter ({@code pooling.p})
 * @param inputSize square input side in pixels
 * @param mean per-channel (RGB) mean subtracted from [0, 1] pixels
 * @param std per-channel (RGB) standard deviation they are divided by
 */
public record ModelConfig(
    String architecture,
    String head,
    int dimension,
    double gemP,
    boolean learnableP,
    int inputSize,
    double[] mean,
    double[] std) {
  /** The architecture name of a TorchScript model (whose network the file itself defines). */
  public static final String TORCHSCRIPT = "torchscript";

  public static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};
  public static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};

  public ModelConfig {
    architecture = architecture.toLowerCase(Locale.ROOT);
    head = head.toLowerCase(Locale.ROOT);
    if (!architecture.equals(TORCHSCRIPT)) {
      Architecture.of(architecture);
    }
    if (!head.equals("fc-bn") && !head.equals("linear") && !head.equals("none")) {
      throw new IllegalArgumentException("model head must be fc-bn, linear or none, got '" + head + "'");
    }
    if (!head.equals("none") && dimension < 1) {
      throw new IllegalArgumentException("descriptor dimension must be >= 1, got " + dimension);
    }
    if (!(gemP >= 1 && gemP <= 16)) {
      throw new IllegalArgumentException("GeM p must be in [1, 16], got " + gemP);
    }
    if (inputSize < 32 || inputSize > 4096) {
      throw new IllegalArgumentException("input size must be in [32, 4096], got " + inputSize);
    }
    if (mean.length != 3 || std.length != 3 || Arrays.stream(std).anyMatch(s -> !(s > 0))) {
      throw new IllegalArgumentException("mean and std need 3 values (RGB), std > 0");
    }
    mean = mean.clone();
    std = std.clone();
  }

  /** A TorchScript model taking size x size ImageNet-normalised images (SSCD's files: 288 or more). */
  public static ModelConfig torchScript(int inputSize) {
    return new ModelConfig(TORCHSCRIPT, "none", 0, 3.0, false, inputSize, IMAGENET_MEAN, IMAGENET_STD);
  }

  /** The descriptor-track winner's model shape on this backbone: fc-bn head, 256-d, p = 1. */
  public static ModelConfig winner(String architecture, int inputSize) {
    Architecture a = Architecture.of(architecture);
    return new ModelConfig(architecture, "fc-bn", 256, 1.0, false, inputSize, a.mean(), a.std());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelConfig c && architecture.equals(c.architecture) && head.equals(c.head)
        && dimension == c.dimension && gemP == c.gemP && learnableP == c.learnableP && inputSize == c.inputSize
        && Arrays.equals(mean, c.mean) && Arrays.equals(std, c.std);
  }

  @Override
  public int hashCode() {
    return architecture.hashCode() * 31 + head.hashCode() * 17 + dimension + inputSize;
  }

  @Override
  public double[] mean() {
    return mean.clone();
  }

  @Override
  public double[] std() {
    return std.clone();
  }

  /** The output dimension of the model. */
  public int outputDimension(int backboneChannels) {
    return head.equals("none") ? backboneChannels : dimension;
  }
}
