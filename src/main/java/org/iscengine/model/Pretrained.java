package org.iscengine.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.model.keras.KerasStateDict;
import org.iscengine.model.keras.Nsfwjs;
import org.iscengine.model.keras.TfjsLayersModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Pretrained backbone weights the engine can start a descriptor model from. */
public enum Pretrained {
  /** nsfwjs 4.4.0's Keras MobileNetV2 (ImageNet start, fine-tuned as a 5-class classifier), up to out_relu. */
  NSFWJS_MOBILENET_V2("nsfwjs-mobilenet_v2", Architecture.MOBILENETV2, "mobilenet_v2", "out_relu");

  private static final Logger log = LoggerFactory.getLogger(Pretrained.class);

  private final String id;
  private final Architecture architecture;
  private final String model;
  private final String outputLayer;

  Pretrained(String id, Architecture architecture, String model, String outputLayer) {
    this.id = id;
    this.architecture = architecture;
    this.model = model;
    this.outputLayer = outputLayer;
  }

  public String id() {
    return id;
  }

  /** The backbone these weights fit. */
  public Architecture architecture() {
    return architecture;
  }

  /** Where the weights come from, for model files and logs. */
  public String source() {
    return "npm " + Nsfwjs.PACKAGE + "@" + Nsfwjs.VERSION + " (MIT) " + model + " up to " + outputLayer;
  }

  public static Pretrained of(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    for (Pretrained p : values()) {
      if (p.id.equals(n)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown pretrained weights '" + name + "'; known: "
        + String.join(", ", Arrays.stream(values()).map(Pretrained::id).toList()));
  }

  /** Loads the weights into the model's backbone, strictly (fetching them on first use). */
  public void load(DescriptorModel descriptorModel) {
    Architecture a = Architecture.of(descriptorModel.config().architecture());
    if (a != architecture) {
      throw new IllegalArgumentException("pretrained weights " + id + " are for " + architecture.id() + ", not "
          + a.id());
    }
    TfjsLayersModel keras = TfjsLayersModel.read(Nsfwjs.modelFile(model));
    Map<String, Tensor> state = KerasStateDict.upTo(keras, outputLayer);
    try {
      StateDicts.LoadReport report = StateDicts.load((Module) descriptorModel.backbone(), state, false);
      log.info("{}: {} from {}", id, report.describe(), keras.source());
    } finally {
      state.values().forEach(Tensor::close);
    }
  }
}
