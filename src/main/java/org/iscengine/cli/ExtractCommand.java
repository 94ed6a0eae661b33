package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.iscengine.extract.ExtractOptions;
import org.iscengine.extract.Extractor;
import org.iscengine.extract.ImageList;
import org.iscengine.model.DescriptorNetwork;
import org.iscengine.progress.ConsoleProgress;
import org.iscengine.runtime.ComputeDevice;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isc extract}. */
@Command(
    name = "extract",
    description = {
      "Describe images with a model and write a descriptor file (HDF5: vectors + image_names). Images come from",
      "a folder (recursively) or a list file; ids are their paths without the extension. A bad image is skipped",
      "and listed; an interrupted run resumes from its finished parts (OUT.parts/)."
    })
final class ExtractCommand extends IscCommand {
  @CommandLine.Mixin ModelOptions model;

  @Option(names = "--images", required = true, description = "Folder of images, or a text file listing them.")
  Path images;

  @Option(names = "--out", required = true, description = "Output descriptor file (.h5).")
  Path out;

  @CommandLine.Mixin DescribeOptions describe;

  @CommandLine.Mixin ImageWorkers workers;

  @Option(names = "--precision", defaultValue = "fp32",
      description = "fp32, or fp16 / bf16 on a GPU (default: ${DEFAULT-VALUE}).")
  Choices.Precision precision;

  @CommandLine.Mixin DeviceOption device;

  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    model.inputs(new OutputPaths()).input("--images", images).output("--out", out).check();
    ImageList list = ImageList.of(images);
    ExtractOptions options = new ExtractOptions(describe.batch, workers.count(), describe.resize.mode,
        describe.scales, describe.flip, 8192, describe.parts);
    ComputeDevice where = device.select();
    Extractor.Result result;
    try (DescriptorNetwork network = model.open()) {
      network.moveTo(where, precision.dtype);
      result = new Extractor(network, model.model, options, where, precision.dtype, ConsoleProgress.factory("img"))
          .run(list, out);
    }
    Path failuresFile = SkippedImages.list(out, result.failures());
    PrintWriter stdout = out();
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("out", out.toString());
    summary.put("described", result.described());
    summary.put("failed", result.failures().size());
    summary.put("imagesPerSecond", result.imagesPerSecond());
    summary.put("device", where.name());
    summary.put("glueShare", result.timing().glueShare());
    json.print(stdout, summary, () -> stdout.printf(Locale.ROOT, "%d images described into %s (%.1f images/s on %s)%n",
        result.described(), out, result.imagesPerSecond(), where.name()));
    SkippedImages.report(err(), result.failures(), failuresFile);
    return 0;
  }
}
