package org.iscengine.model;

import java.util.Locale;

/** The backbones the engine builds, by their torchvision / timm names. */
public enum Architecture {
  RESNET18("resnet18"),
  RESNET34("resnet34"),
  RESNET50("resnet50"),
  RESNET101("resnet101"),
  RESNET152("resnet152"),
  TF_EFFICIENTNETV2_S("tf_efficientnetv2_s"),
  TF_EFFICIENTNETV2_M("tf_efficientnetv2_m"),
  /** Keras's MobileNetV2 (width 1.0) up to out_relu; Keras's name mobilenet_v2 is accepted too. */
  MOBILENETV2("mobilenetv2");

  private final String id;

  Architecture(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  /** By name; timm's weight tags (e.g. tf_efficientnetv2_m_in21ft1k) name the same network. */
  public static Architecture of(String name) {
    String n = name.toLowerCase(Locale.ROOT).replaceFirst("_in21(ft1k|k)$", "").replace("mobilenet_v2", "mobilenetv2");
    for (Architecture a : values()) {
      if (a.id.equals(n)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown architecture '" + name + "'; known: " + String.join(", ",
        java.util.Arrays.stream(values()).map(Architecture::id).toList()));
  }

  public boolean isEfficientNet() {
    return this == TF_EFFICIENTNETV2_S || this == TF_EFFICIENTNETV2_M;
  }

  /**
   * The input normalisation its pretrained weights expect: timm's tf_ models and Keras's
   * MobileNetV2 take x / 127.5 - 1, which on [0, 1] pixels is (p - 0.5) / 0.5.
   */
  public double[] mean() {
    return tensorFlowInput() ? new double[] {0.5, 0.5, 0.5} : ModelConfig.IMAGENET_MEAN.clone();
  }

  public double[] std() {
    return tensorFlowInput() ? new double[] {0.5, 0.5, 0.5} : ModelConfig.IMAGENET_STD.clone();
  }

  private boolean tensorFlowInput() {
    return isEfficientNet() || this == MOBILENETV2;
  }

  /** A new backbone of this architecture (random weights). */
  Backbone create() {
    return switch (this) {
      case RESNET18 -> new ResNet(18, 0);
      case RESNET34 -> new ResNet(34, 0);
      case RESNET50 -> new ResNet(50, 0);
      case RESNET101 -> new ResNet(101, 0);
      case RESNET152 -> new ResNet(152, 0);
      // timm's features_only, as the descriptor-track winner: the last block stage's output.
      case TF_EFFICIENTNETV2_S -> new EfficientNetV2('s', false, 0);
      case TF_EFFICIENTNETV2_M -> new EfficientNetV2('m', false, 0);
      case MOBILENETV2 -> new MobileNetV2();
    };
  }
}
