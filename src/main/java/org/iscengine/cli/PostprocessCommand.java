package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
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
  @Option(names = "--queries", required = true, split = ",", description = "Query descriptor file(s).")
  List<Path> queries;

  @Option(names = "--references", required = true, split = ",", description = "Reference descriptor file(s).")
  List<Path> references;

  @Option(names = "--training", split = ",", description = "Training descriptor file(s) (PCA, DBA, NES, score norm).")
  List<Path> training;

  @Option(names = "--recipe", defaultValue = "lyakaap",
      description = "lyakaap (DBA k=10 alpha=3, NES k=10 beta=0.35 x1), d2lv (PCA-whitening, score norm 2.0[0,9]),"
          + " sscd (PCA-whitening, score norm 1.0[0,2]) or none (default: ${DEFAULT-VALUE}).")
  String recipe;

  @Option(names = "--config", description = "YAML file of settings (keys: recipe, normalize, pcaDimension, whiten,"
      + " dbaK, dbaAlpha, nesK, nesBeta, nesIterations, scoreNormalization).")
  Path config;

  @Option(names = "--normalize", negatable = true, description = "L2-normalise the inputs first.")
  Boolean normalize;

  @Option(names = "--pca", description = "PCA output dimension (0: keep the input's).")
  Integer pca;

  @Option(names = "--whiten", negatable = true, description = "PCA-whitening.")
  Boolean whiten;

  @Option(names = "--dba-k", description = "DBA neighbours (0: no DBA).")
  Integer dbaK;

  @Option(names = "--dba-alpha", description = "DBA similarity exponent.")
  Double dbaAlpha;

  @Option(names = "--nes-k", description = "NES negatives (0: no NES).")
  Integer nesK;

  @Option(names = "--nes-beta", description = "NES step.")
  Double nesBeta;

  @Option(names = "--nes-iterations", description = "NES repetitions.")
  Integer nesIterations;

  @Option(names = "--score-norm", description = "Score normalization weight[first,last], e.g. 1.0[0,2]; none to skip.")
  String scoreNorm;

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
    new OutputPaths().input("--queries", queries).input("--references", references).input("--training", training)
        .input("--config", config).output("--out-queries", outQueries).output("--out-references", outReferences)
        .output("--submission", submission).output("--save-pca", savePca).check();
    PostProcessConfig settings = settings();
    try (Descriptors q = DescriptorFiles.read(queries);
        Descriptors r = DescriptorFiles.read(references);
        Descriptors t = training == null ? null : DescriptorFiles.read(training);
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

  private PostProcessConfig settings() {
    PostProcessConfig base = config != null ? PostProcessConfig.read(config, recipe) : PostProcessConfig.recipe(recipe);
    return new PostProcessConfig(
        normalize != null ? normalize : base.normalize(),
        pca != null ? pca : base.pcaDimension(),
        whiten != null ? whiten : base.whiten(),
        dbaK != null ? dbaK : base.dbaK(),
        dbaAlpha != null ? dbaAlpha : base.dbaAlpha(),
        nesK != null ? nesK : base.nesK(),
        nesBeta != null ? nesBeta : base.nesBeta(),
        nesIterations != null ? nesIterations : base.nesIterations(),
        scoreNorm != null ? scoreNorm : base.scoreNormalization());
  }
}
