package org.iscengine.cli;

import java.nio.file.Path;
import picocli.CommandLine;

/** The predictions and ground truth that isc evaluate and isc report read (a picocli mixin). */
final class GroundTruthInputs {
  @CommandLine.Option(names = "--predictions", required = true,
      description = "Predictions CSV (query_id,reference_id,score).")
  Path predictions;

  @CommandLine.Option(names = "--ground-truth", required = true,
      description = "ISC21 ground truth CSV (query_id,reference_id); isc evaluate also reads revisited"
          + " gnd .pkl / .json.")
  Path groundTruth;

  OutputPaths check(OutputPaths paths) {
    return paths.input("--predictions", predictions).input("--ground-truth", groundTruth);
  }
}
