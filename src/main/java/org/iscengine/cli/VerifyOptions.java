package org.iscengine.cli;

import java.nio.file.Path;
import java.util.List;
import org.iscengine.extract.ImageList;
import org.iscengine.match.GeometricVerification;
import org.iscengine.match.Predictions;
import org.iscengine.progress.ConsoleProgress;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Geometric verification of predicted pairs, as {@code isc match} and {@code isc ensemble} offer it
 * (a picocli mixin).
 */
final class VerifyOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(names = "--verify", paramLabel = "QUERY_IMAGES,REFERENCE_IMAGES", split = ",",
      description = "Re-score every predicted pair by local-feature geometry (ORB, mutual matches, RANSAC similarity):"
          + " pairs with enough inliers gain --verify-weight x min(1, inliers/40). Takes the two image folders (or"
          + " lists) the descriptors were extracted from.")
  List<Path> images;

  // The defaults are the library's own (picocli takes a field's first value as its default).
  @Option(names = "--verify-weight", description = "Largest score gain of a verified pair (default: ${DEFAULT-VALUE}).")
  double weight = GeometricVerification.Options.defaults().weight();

  @Option(names = "--verify-min-inliers", description = "Inliers a pair needs to gain (default: ${DEFAULT-VALUE}).")
  int minInliers = GeometricVerification.Options.defaults().minInliers();

  @Option(names = "--verify-features", description = "ORB keypoints per image (default: ${DEFAULT-VALUE}).")
  int features = GeometricVerification.Options.defaults().features();

  /** The images, for the command's check of its inputs (null without --verify). */
  List<Path> inputs() {
    return images;
  }

  /**
   * The verification the options ask for, or null without --verify; bad settings are usage errors,
   * found before any work starts.
   */
  GeometricVerification verification() {
    if (images == null) {
      return null;
    }
    if (images.size() != 2) {
      throw usage("--verify takes two folders or lists, query and reference images, separated by a comma; got "
          + images.size());
    }
    GeometricVerification.Options d = GeometricVerification.Options.defaults();
    try {
      return new GeometricVerification(new GeometricVerification.Options(features, d.side(), d.ratio(),
          minInliers, Math.max(d.saturation(), minInliers), weight, d.reprojection()));
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  /** The pairs re-scored by the verification (from {@link #verification()}), or as they are when it is null. */
  Predictions apply(GeometricVerification verification, Predictions predictions) {
    return verification == null ? predictions : verification.rescore(predictions, ImageList.of(images.get(0)).lookup(),
        ImageList.of(images.get(1)).lookup(), ConsoleProgress.factory("pair"));
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(command.commandLine(), message);
  }
}
