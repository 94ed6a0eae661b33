package org.iscengine.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.iscengine.model.Architecture;
import org.iscengine.model.DescriptorNetwork;
import org.iscengine.model.ModelConfig;
import org.iscengine.model.Models;
import org.iscengine.model.Pretrained;
import picocli.CommandLine.Option;

/** Options naming a descriptor network (a picocli mixin). */
final class ModelOptions {
  @Option(names = "--model", required = true,
      description = "An isc model file, a TorchScript file, or an architecture: resnet18/34/50/101/152,"
          + " tf_efficientnetv2_s/m, mobilenetv2.")
  String model;

  @Option(names = "--weights", description = "PyTorch checkpoint for an architecture (else random weights).")
  Path weights;

  @Option(names = "--pretrained",
      description = "Start an architecture's backbone from pretrained weights: nsfwjs-mobilenet_v2 (for"
          + " mobilenetv2; fetched with npm on first use).")
  String pretrained;

  @Option(names = "--allow-partial", description = "Accept a checkpoint that leaves some weights as initialised.")
  boolean allowPartial;

  @Option(names = "--input-size",
      description = "Input side in pixels (default: an isc model file's own, 288 for TorchScript, 224 for an"
          + " architecture).")
  Integer inputSize;

  @Option(names = "--head", defaultValue = "fc-bn",
      description = "Head of an architecture: fc-bn, linear or none (default: ${DEFAULT-VALUE}).")
  String head;

  @Option(names = "--dim", defaultValue = "256", description = "Descriptor dimension of the head (default: ${DEFAULT-VALUE}).")
  int dimension;

  @Option(names = "--gem-p", defaultValue = "1.0", description = "GeM power (default: ${DEFAULT-VALUE}, the winner's).")
  double gemP;

  @Option(names = "--learnable-p", description = "The GeM power is a trained parameter (pooling.p).")
  boolean learnableP;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of random initial weights (default: ${DEFAULT-VALUE}).")
  long seed;

  /** The configuration an architecture or TorchScript file is built with. */
  ModelConfig config() {
    boolean torchScript = Models.kind(Path.of(model)) == Models.Kind.TORCHSCRIPT;
    int size = inputSize != null ? inputSize : torchScript ? 288 : 224;
    if (torchScript) {
      return ModelConfig.torchScript(size);
    }
    Architecture a = Architecture.of(model);
    return new ModelConfig(a.id(), head, dimension, gemP, learnableP, size, a.mean(), a.std());
  }

  /** Adds the files these options read (--weights, and --model when it names a file) to a command's inputs. */
  OutputPaths inputs(OutputPaths paths) {
    Path file = Path.of(model);
    return paths.input("--model", Files.isRegularFile(file) ? file : null).input("--weights", weights);
  }

  DescriptorNetwork open() {
    org.bytedeco.pytorch.global.torch.manual_seed(seed);
    return Models.open(model, weights, pretrained == null ? null : Pretrained.of(pretrained), allowPartial,
        Models.kind(Path.of(model)) == Models.Kind.ISC_MODEL ? null : config());
  }
}
