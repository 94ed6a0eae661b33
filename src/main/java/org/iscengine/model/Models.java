package org.iscengine.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipFile;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the descriptor network a user names: an isc model file, a TorchScript file, or an
 * architecture (with PyTorch weights, strictly loaded, or else random weights, said loudly).
 */
public final class Models {
  private static final Logger log = LoggerFactory.getLogger(Models.class);

  private Models() {}

  /** What kind of file a path is. */
  public enum Kind { ISC_MODEL, TORCHSCRIPT, PYTORCH_CHECKPOINT, NOT_A_FILE }

  public static Kind kind(Path file) {
    if (!Files.isRegularFile(file)) {
      return Kind.NOT_A_FILE;
    }
    if (ModelFile.isModelFile(file)) {
      return Kind.ISC_MODEL;
    }
    try (ZipFile zip = new ZipFile(file.toFile())) {
      boolean script = zip.stream().anyMatch(e -> e.getName().endsWith("/constants.pkl")
          || e.getName().contains("/code/"));
      return script ? Kind.TORCHSCRIPT : Kind.PYTORCH_CHECKPOINT;
    } catch (IOException e) {
      return Kind.PYTORCH_CHECKPOINT;  // legacy or damaged: the checkpoint reader says which
    }
  }

  /**
   * The network for a spec.
   *
   * @param spec an isc model file, a TorchScript file, or an architecture name
   * @param weights PyTorch checkpoint for an architecture (null: random weights)
   * @param allowPartial accept a checkpoint that leaves some weights as initialised
   * @param config the model's shape when spec is an architecture, or the input size and
   *     normalisation of a TorchScript file
   */
  public static DescriptorNetwork open(String spec, Path weights, boolean allowPartial, ModelConfig config) {
    return open(spec, weights, null, allowPartial, config);
  }

  /**
   * The network for a spec, as {@link #open(String, Path, boolean, ModelConfig)}; an
   * architecture may instead start from pretrained backbone weights (its head stays random).
   */
  public static DescriptorNetwork open(String spec, Path weights, Pretrained pretrained, boolean allowPartial,
      ModelConfig config) {
    Path file = Path.of(spec);
    if (pretrained != null && (weights != null || kind(file) != Kind.NOT_A_FILE)) {
      throw new IllegalArgumentException("pretrained weights start an architecture; " + spec
          + (weights != null ? " already has --weights" : " is a file"));
    }
    switch (kind(file)) {
      case ISC_MODEL -> {
        if (weights != null) {
          throw new IllegalArgumentException("--weights applies to an architecture, not to the model file " + spec);
        }
        return ModelFile.load(file);
      }
      case TORCHSCRIPT -> {
        return TorchScriptModel.load(file, config);
      }
      case PYTORCH_CHECKPOINT -> throw new IllegalArgumentException(spec + " is a PyTorch checkpoint: name the"
          + " architecture with --model and pass the checkpoint as --weights");
      default -> {
        DescriptorModel model = new DescriptorModel(config);
        if (pretrained != null) {
          try {
            pretrained.load(model);
            return model;
          } catch (RuntimeException e) {
            model.close();
            throw e;
          }
        }
        if (weights == null) {
          log.warn("{}: random weights (no --weights): descriptors of an untrained network", config.architecture());
          return model;
        }
        try {
          load(model, weights, allowPartial);
          return model;
        } catch (RuntimeException e) {
          model.close();
          throw e;
        }
      }
    }
  }

  /**
   * Loads a PyTorch checkpoint into a descriptor model: a full descriptor state dict (backbone.,
   * fc., bn.), or a bare backbone's (torchvision, timm), which then goes under backbone.
   */
  public static StateDicts.LoadReport load(DescriptorModel model, Path checkpoint, boolean allowPartial) {
    Map<String, Tensor> state = PyTorchCheckpoint.stateDict(checkpoint);
    try {
      boolean whole = state.keySet().stream().anyMatch(k -> k.startsWith("backbone."));
      Map<String, Tensor> named = whole ? state : StateDicts.addPrefix(state, "backbone.");
      StateDicts.LoadReport report = StateDicts.load(model, named, allowPartial);
      if (!report.complete()) {
        log.warn("{}: partial load: {}", checkpoint, report.describe());
      }
      return report;
    } finally {
      state.values().forEach(Tensor::close);
    }
  }
}
