package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.descriptor.PostProcessConfig;
import org.iscengine.descriptor.PostProcessor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code isc postprocess}. */
@Command(
    name = "postprocess",
    description = {
      "Post-process query and reference descriptors with training descriptors: L2 normalization, PCA or",
      "PCA-whitening, DBA + negative embedding subtraction, score normalization. Inputs are descriptor files",
      "(HDF5 'vectors' + 'image_names'; several files are concatenated). Settings come from --recipe, then",
      "--config (YAML, the same keys), then the options below."
    })
final class PostprocessCommand extends IscCommand {
  @CommandLine.Mixin PostProcessOptions steps;

  @Option(names = "--out-queries", description = "Output query descriptor file.")
  Path outQueries;

  @Option(names = "--out-references", description = "Output reference descriptor file.")
  Path outReferences;

  @Option(names = "--submission", description = "Write queries and references as one ISC21 submission file instead.")
  Path submission;

  @Option(names = "--save-pca", description = "Save the learned PCA (HDF5).")
  Path savePca;

  @CommandLine.Mixin DeviceOption device;

  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    if (submission == null && (outQueries == null || outReferences == null)) {
      throw usage(
          "give --out-queries and --out-references, or --submission");
    }
    steps.inputs(new OutputPaths()).output("--out-queries", outQueries).output("--out-references", outReferences)
        .output("--submission", submission).output("--save-pca", savePca).check();
    PostProcessConfig settings = steps.settings();
    try (Descriptors q = DescriptorFiles.read(steps.queries);
        Descriptors r = DescriptorFiles.read(steps.references);
        Descriptors t = steps.training == null ? null : DescriptorFiles.read(steps.training);
        PostProcessor.Output out = new PostProcessor(settings, device.select()).run(q, r, t)) {
      if (submission != null) {
        DescriptorFiles.writeSubmission(submission, out.queries(), out.references(), false);
      } else {
        DescriptorFiles.write(outQueries, out.queries());
        DescriptorFiles.write(outReferences, out.references());
      }
      if (savePca != null) {
        out.pca().orElseThrow(() -> new IllegalArgumentException("--save-pca: these settings learn no PCA"))
            .save(savePca);
      }
      PrintWriter stdout = out();
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("settings", settings);
      summary.put("queries", out.queries().size());
      summary.put("references", out.references().size());
      summary.put("training", t == null ? 0 : t.size());
      summary.put("dimension", out.queries().dim());
      json.print(stdout, summary, () -> stdout.printf("post-processed %d queries and %d references to %d dimensions (%s)%n",
          out.queries().size(), out.references().size(), out.queries().dim(), settings));
    }
    return 0;
  }
}
