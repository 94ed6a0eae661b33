package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.extract.ImageList;
import org.iscengine.kernels.Metric;
import org.iscengine.match.GeometricVerification;
import org.iscengine.match.Matcher;
import org.iscengine.match.PartMatching;
import org.iscengine.match.Predictions;
import org.iscengine.match.PredictionsCsv;
import org.iscengine.progress.ConsoleProgress;
import org.iscengine.runtime.ComputeDevice;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isc match}. */
@Command(
    name = "match",
    description = {
      "Match query descriptors against reference descriptors by exact search and write the predictions",
      "(query_id,reference_id,score; higher is more similar) as CSV. By default the globally best 500 000",
      "pairs, as the ISC21 descriptor-track matcher; --k keeps each query's k best instead."
    })
final class MatchCommand extends IscCommand {
  static final class Inputs {
    @ArgGroup(exclusive = false)
    Separate separate;

    @Option(names = "--submission", required = true, description = "An ISC21 submission file (query + reference).")
    Path submission;
  }

  static final class Separate {
    @Option(names = "--queries", required = true, split = ",", description = "Query descriptor file(s).")
    List<Path> queries;

    @Option(names = "--references", required = true, split = ",", description = "Reference descriptor file(s).")
    List<Path> references;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Inputs inputs;

  @Option(names = "--metric", defaultValue = "l2",
      description = "l2 (score: minus the squared distance, as the official matcher) or ip (inner product; use it"
          + " after score normalization) (default: ${DEFAULT-VALUE}).")
  Choices.MetricName metric;

  @Option(names = "--max-results", defaultValue = "500000",
      description = "Number of globally best pairs (default: ${DEFAULT-VALUE}).")
  int maxResults;

  @Option(names = "--k", description = "Each query's k best references instead of the global best pairs.")
  Integer k;

  @Option(names = "--relative-to-rank", paramLabel = "R",
      description = "With --k: score each query's pairs relative to its R-th best (score - score at rank R; ranks"
          + " 1..R-1 kept), so that queries whose best references stand out from their other neighbours come first"
          + " in the global ranking μAP scores.")
  Integer relativeToRank;

  @Option(names = "--parts",
      description = "The descriptors are of image parts (isc extract --parts): pairs of images are scored by their best"
          + " part-to-part match. Searches parts first (--k or --max-results count part pairs), then folds them.")
  boolean parts;

  @Option(names = "--verify", paramLabel = "QUERY_IMAGES,REFERENCE_IMAGES", split = ",",
      description = "Re-score every predicted pair by local-feature geometry (ORB, mutual matches, RANSAC similarity):"
          + " pairs with enough inliers gain --verify-weight x min(1, inliers/40). Takes the two image folders (or"
          + " lists) the descriptors were extracted from.")
  List<Path> verify;

  @Option(names = "--verify-weight", defaultValue = "0.5", description = "Largest score gain of a verified pair"
      + " (default: ${DEFAULT-VALUE}).")
  double verifyWeight;

  @Option(names = "--verify-min-inliers", defaultValue = "12", description = "Inliers a pair needs to gain"
      + " (default: ${DEFAULT-VALUE}).")
  int verifyMinInliers;

  @Option(names = "--out", required = true, description = "Output CSV.")
  Path out;

  @CommandLine.Mixin DeviceOption device;

  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    new OutputPaths().input("--submission", inputs.submission)
        .input("--queries", inputs.separate == null ? null : inputs.separate.queries)
        .input("--references", inputs.separate == null ? null : inputs.separate.references)
        .input("--verify", verify).output("--out", out).check();
    Metric m = metric.metric;
    if (relativeToRank != null && (k == null || relativeToRank < 2 || relativeToRank > k)) {
      throw usage("--relative-to-rank needs --k, and a rank from 2"
          + " to k; got " + relativeToRank + (k == null ? " without --k" : " with --k " + k));
    }
    if (verify != null && verify.size() != 2) {
      throw usage("--verify takes two folders or lists, query and"
          + " reference images, separated by a comma; got " + verify.size());
    }
    GeometricVerification verification = null;
    if (verify != null) {
      GeometricVerification.Options d = GeometricVerification.Options.defaults();
      try {
        verification = new GeometricVerification(new GeometricVerification.Options(d.features(), d.side(), d.ratio(),
            verifyMinInliers, Math.max(d.saturation(), verifyMinInliers), verifyWeight, d.reprojection()));
      } catch (IllegalArgumentException e) {
        throw usage(e.getMessage());
      }
    }
    ComputeDevice where = device.select();
    Predictions predictions;
    PartMatching.Cost cost;
    try (Loaded loaded = load(where)) {
      Matcher matcher = new Matcher(m);
      predictions = k != null ? matcher.knn(loaded.queries, loaded.references, k)
          : matcher.top(loaded.queries, loaded.references, maxResults);
      cost = PartMatching.cost(loaded.queries.ids(), loaded.references.ids());
    }
    if (parts) {
      predictions = PartMatching.fold(predictions, 0);
    }
    if (relativeToRank != null) {
      predictions = Matcher.relativeToRank(predictions, relativeToRank);
    }
    if (verification != null) {
      predictions = verification.rescore(predictions, ImageList.of(verify.get(0)).lookup(),
          ImageList.of(verify.get(1)).lookup(), ConsoleProgress.factory("pair"));
    }
    PredictionsCsv.write(out, predictions);
    PrintWriter stdout = out();
    int written = predictions.size();
    Map<String, Object> result = new java.util.LinkedHashMap<>();
    result.put("predictions", written);
    result.put("out", out.toString());
    result.put("device", where.name());
    if (parts) {
      result.put("queryParts", cost.queryParts());
      result.put("referenceParts", cost.referenceParts());
      result.put("searchFactor", cost.searchFactor());
    }
    json.print(stdout, result, () -> stdout.printf("%d predictions written to %s%s%n", written, out, !parts ? ""
        : String.format(java.util.Locale.ROOT, " (parts per image: %.2f queries x %.2f references = %.1fx the search)",
            cost.queryParts(), cost.referenceParts(), cost.searchFactor())));
    return 0;
  }

  /** Queries and references on the device. */
  private record Loaded(Descriptors queries, Descriptors references) implements AutoCloseable {
    @Override
    public void close() {
      queries.close();
      references.close();
    }
  }

  private Loaded load(ComputeDevice where) {
    Descriptors q;
    Descriptors r;
    if (inputs.submission != null) {
      DescriptorFiles.Submission s = DescriptorFiles.readSubmission(inputs.submission, false);
      q = s.queries();
      r = s.references();
    } else {
      q = DescriptorFiles.read(inputs.separate.queries);
      r = DescriptorFiles.read(inputs.separate.references);
    }
    return new Loaded(moved(q, where), moved(r, where));
  }

  private static Descriptors moved(Descriptors d, ComputeDevice where) {
    if (!where.isCuda()) {
      return d;
    }
    try (d;
        Device target = where.torchDevice()) {
      Tensor v = d.vectors().to(target, d.vectors().scalar_type());
      return d.with(v);
    }
  }
}
