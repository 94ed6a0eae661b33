package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.DescriptorNetwork;
import org.iscengine.model.ModelConfig;
import org.iscengine.model.ModelFile;
import org.iscengine.model.Models;
import org.iscengine.model.Pretrained;
import org.iscengine.model.PyTorchCheckpoint;
import org.iscengine.model.StateDicts;
import org.iscengine.model.TorchSave;
import org.iscengine.model.TorchScriptModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code isc model}: inspect and convert model files. */
@Command(
    name = "model",
    description = "Inspect model files, convert PyTorch checkpoints into isc model files and export them back.",
    subcommands = {ModelCommand.Info.class, ModelCommand.Convert.class, ModelCommand.Export.class})
final class ModelCommand extends IscCommand {
  @Override
  public Integer call() {
    throw usage("a model command is required (info, convert, export)");
  }

  @Command(name = "info",
      description = "Architecture, parameter count, input size and where the weights came from, for an isc model"
          + " file, a TorchScript file or a PyTorch checkpoint.")
  static final class Info extends IscCommand {
    @Parameters(paramLabel = "FILE")
    Path file;

    @CommandLine.Mixin JsonOption json;

    @Override
    public Integer call() throws Exception {
      Map<String, Object> info = new LinkedHashMap<>();
      info.put("file", file.toString());
      Models.Kind kind = Models.kind(file);
      info.put("kind", kind.toString().toLowerCase(java.util.Locale.ROOT));
      switch (kind) {
        case ISC_MODEL -> {
          ModelFile.Manifest m = ModelFile.manifest(file);
          info.put("architecture", m.config().architecture());
          info.put("head", m.config().head());
          info.put("dimension", m.config().dimension());
          info.put("gemP", m.config().gemP());
          info.put("inputSize", m.config().inputSize());
          info.put("parameters", m.parameters());
          info.put("source", m.source());
          info.put("engineVersion", m.engineVersion());
        }
        case TORCHSCRIPT -> {
          try (TorchScriptModel ts = TorchScriptModel.load(file, ModelConfig.torchScript(288))) {
            info.put("dimension", ts.dimension());
          }
        }
        case PYTORCH_CHECKPOINT -> {
          Map<String, Tensor> state = PyTorchCheckpoint.stateDict(file);
          long params = state.values().stream().mapToLong(Tensor::numel).sum();
          info.put("tensors", state.size());
          info.put("elements", params);
          info.put("looksLike", guess(state.keySet().stream().toList()));
          info.put("firstKeys", state.keySet().stream().limit(5).toList());
          state.values().forEach(Tensor::close);
        }
        default -> throw new IllegalArgumentException(file + ": no such file");
      }
      info.put("bytes", Files.size(file));
      PrintWriter out = out();
      json.printIndented(out, info, () -> info.forEach((k, v) -> out.printf("%-13s %s%n", k, v)));
      return 0;
    }

    private static String guess(List<String> keys) {
      String k = String.join(" ", keys);
      if (k.contains("conv_stem.weight")) {
        return "timm EfficientNet (" + (k.contains("blocks.6.") ? "V2-M-sized" : "V2-S-sized") + ")";
      }
      if (k.contains("layer4.") && k.contains("conv1.weight")) {
        long blocks = keys.stream().filter(s -> s.matches(".*layer3\\.\\d+\\.conv1\\.weight")).count();
        return "torchvision-style ResNet (" + blocks + " blocks in layer3)";
      }
      return "unknown";
    }
  }

  @Command(name = "convert",
      description = "Build an isc model file from an architecture and a PyTorch checkpoint (--weights), from"
          + " pretrained backbone weights (--pretrained; the head seeded random), or with seeded random weights"
          + " (--random).")
  static final class Convert extends IscCommand {
    @CommandLine.Mixin ModelOptions model;

    @Option(names = "--random", description = "No checkpoint: seeded random weights (an untrained network).")
    boolean random;

    @Option(names = "--out", required = true, description = "Output isc model file.")
    Path out;

    @Override
    public Integer call() {
      if (model.weights == null && model.pretrained == null && !random) {
        throw usage("give --weights CHECKPOINT, --pretrained NAME,"
            + " or --random for an untrained network");
      }
      model.inputs(new OutputPaths()).output("--out", out).check();
      try (DescriptorNetwork network = model.open()) {
        if (!(network instanceof DescriptorModel m)) {
          throw new IllegalArgumentException(model.model + " is not an architecture: convert takes one");
        }
        String source = model.weights != null ? "PyTorch checkpoint " + model.weights.getFileName()
            : model.pretrained != null ? "pretrained backbone: " + Pretrained.of(model.pretrained).source()
                + "; head random, seed " + model.seed
            : "random initialisation, seed " + model.seed;
        ModelFile.save(out, m, source);
        out().printf("%s: %s, %s%n", out, m.config().architecture(), source);
        out().flush();
      }
      return 0;
    }
  }

  /** The formats isc model export writes. */
  enum ExportFormat { PYTORCH }

  @Command(name = "export",
      description = {"Write an isc model file's weights as a PyTorch state dict (torch.save's format): the backbone's",
          "torchvision/timm names under backbone., the head's fc.* and bn.*, pooling.p when learned. In Python,",
          "python/iscnet.py builds the network they fit: ISCNet(...).load_state_dict(torch.load(OUT), strict=True)."})
  static final class Export extends IscCommand {
    @Option(names = "--format", required = true, description = "Output format: ${COMPLETION-CANDIDATES}.")
    ExportFormat format;

    @Parameters(index = "0", paramLabel = "MODEL", description = "isc model file (.iscm).")
    Path model;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output file (.pth).")
    Path out;

    @CommandLine.Mixin JsonOption json;

    @Override
    public Integer call() throws Exception {
      new OutputPaths().input("MODEL", model).output("OUT", out).check();
      if (Models.kind(model) != Models.Kind.ISC_MODEL) {
        throw new IllegalArgumentException(model + " is not an isc model file: export takes one (isc model convert makes"
            + " one from a checkpoint)");
      }
      Map<String, Object> result = new LinkedHashMap<>();
      try (DescriptorModel m = ModelFile.load(model)) {
        Map<String, Tensor> state = StateDicts.of(m);
        try {
          TorchSave.write(out, state);
          result.put("file", out.toString());
          result.put("tensors", state.size());
        } finally {
          state.values().forEach(Tensor::close);
        }
        ModelConfig c = m.config();
        result.put("python", String.format(java.util.Locale.ROOT,
            "ISCNet('%s', head='%s', dimension=%d, gem_p=%s, learnable_p=%s)", c.architecture(), c.head(),
            c.dimension(), c.gemP(), c.learnableP() ? "True" : "False"));
        result.put("convertBack", String.format(java.util.Locale.ROOT,
            "isc model convert --model %s --weights %s --head %s --dim %d --gem-p %s --input-size %d%s --out MODEL",
            c.architecture(), out, c.head(), c.dimension(), c.gemP(), c.inputSize(), c.learnableP() ? " --learnable-p" : ""));
        result.put("inputSize", c.inputSize());
        result.put("mean", c.mean());
        result.put("std", c.std());
      }
      PrintWriter o = out();
      json.print(o, result, () -> o.printf("%s: %s tensors; in Python: %s, input %d px, mean %s, std %s%n", out,
          result.get("tensors"), result.get("python"), (Integer) result.get("inputSize"),
          java.util.Arrays.toString((double[]) result.get("mean")), java.util.Arrays.toString((double[]) result.get("std"))));
      return 0;
    }
  }
}
