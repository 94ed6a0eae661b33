package org.iscengine.cli;

import org.iscengine.match.Matcher;
import org.iscengine.match.Predictions;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Each query's k best pairs, optionally scored relative to its R-th best, as {@code isc match}
 * and {@code isc ensemble} offer them (a picocli mixin).
 */
final class PerQueryOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(names = "--k", description = "Each query's k best pairs instead of the globally best (--max-results).")
  Integer k;

  @Option(names = "--relative-to-rank", paramLabel = "R",
      description = "With --k: score each query's pairs relative to its R-th best (score - score at rank R; ranks"
          + " 1..R-1 kept, see --keep), so that queries whose best references stand out from their other neighbours"
          + " come first in the global ranking μAP scores.")
  Integer relativeToRank;

  @Option(names = "--keep", paramLabel = "N",
      description = "With --relative-to-rank: pairs each query keeps (default: R - 1; up to k keeps the pairs past"
          + " rank R, scored <= 0, as a deep candidate list to fuse with other systems by isc ensemble).")
  Integer keep;

  /** Inconsistent values, refused as usage errors before any work starts. */
  void check() {
    if (k != null && k < 1) {
      throw usage("--k must be >= 1, got " + k);
    }
    if (relativeToRank != null && (k == null || relativeToRank < 2 || relativeToRank > k)) {
      throw usage("--relative-to-rank needs --k, and a rank from 2 to k; got " + relativeToRank
          + (k == null ? " without --k" : " with --k " + k));
    }
    if (keep != null && (relativeToRank == null || keep < relativeToRank - 1 || keep > k)) {
      throw usage("--keep needs --relative-to-rank R and a count from R - 1 to k; got " + keep
          + (relativeToRank == null ? " without --relative-to-rank" : " with R " + relativeToRank + " and k " + k));
    }
  }

  /** Each query's pairs relative to its R-th best, or as they are without --relative-to-rank. */
  Predictions relative(Predictions predictions) {
    return relativeToRank == null ? predictions
        : Matcher.relativeToRank(predictions, relativeToRank, keep != null ? keep : relativeToRank - 1);
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(command.commandLine(), message);
  }
}
