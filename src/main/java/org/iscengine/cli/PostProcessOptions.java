package org.iscengine.cli;

import java.nio.file.Path;
import java.util.List;
import org.iscengine.descriptor.PostProcessConfig;
import picocli.CommandLine.Option;

/**
 * What post-processing reads and does, as options (a picocli mixin): the descriptor files, and
 * the steps from --recipe, then --config, then each step's own option.
 */
final class PostProcessOptions {
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

  /** Checks the input files (and the YAML file) along with the command's other paths. */
  OutputPaths inputs(OutputPaths paths) {
    return paths.input("--queries", queries).input("--references", references).input("--training", training)
        .input("--config", config);
  }

  /** The settings: the recipe's, overridden by the YAML file's, overridden by the options given. */
  PostProcessConfig settings() {
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
