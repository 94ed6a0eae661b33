package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.hash.PdqCsv;
import org.iscengine.hash.PdqMatcher;
import org.iscengine.kernels.Metric;
import org.iscengine.match.GeometricVerification;
import org.iscengine.match.Matcher;
import org.iscengine.match.PartMatching;
import org.iscengine.match.Predictions;
import org.iscengine.match.PredictionsCsv;
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
    @Option(names = "--queries", required = true, split = ",",
        description = "Query descriptor file(s), or one PDQ hash CSV (isc hash): hashes are matched by Hamming"
            + " distance d, score 1 - d/256, with --k.")
    List<Path> queries;

    @Option(names = "--references", required = true, split = ",",
        description = "Reference descriptor file(s), or one PDQ hash CSV.")
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

  @CommandLine.Mixin PerQueryOptions perQuery;

  @Option(names = "--parts",
      description = "The descriptors are of image parts (isc extract --parts): pairs of images are scored by their best"
          + " part-to-part match. Searches parts first (--k or --max-results count part pairs), then folds them.")
  boolean parts;

  @CommandLine.Mixin VerifyOptions verify;

  @Option(names = "--out", required = true, description = "Output CSV.")
  Path out;

  @CommandLine.Mixin DeviceOption device;

  @CommandLine.Mixin JsonOption json;

  @Override
  public Integer call() throws Exception {
    new OutputPaths().input("--submission", inputs.submission)
        .input("--queries", inputs.separate == null ? null : inputs.separate.queries)
        .input("--references", inputs.separate == null ? null : inputs.separate.references)
        .input("--verify", verify.inputs()).output("--out", out).check();
    Metric m = metric.metric;
    perQuery.check();
    Integer k = perQuery.k;
    GeometricVerification verification = verify.verification();
    boolean hashes = inputs.separate != null && hashFiles(inputs.separate.queries, inputs.separate.references);
    if (hashes && (k == null || parts)) {
      throw usage("PDQ hash files are matched with --k and without --parts");
    }
    ComputeDevice where = hashes ? ComputeDevice.CPU : device.select();
    Predictions predictions;
    PartMatching.Cost cost;
    if (hashes) {
      PdqCsv.Rows r = PdqCsv.read(inputs.separate.references.get(0));
      predictions = PdqMatcher.knn(PdqCsv.read(inputs.separate.queries.get(0)), r, Math.min(k, r.size()));
      cost = null;
    } else {
      try (Loaded loaded = load(where)) {
        Matcher matcher = new Matcher(m);
        predictions = k != null ? matcher.knn(loaded.queries, loaded.references, k)
            : matcher.top(loaded.queries, loaded.references, maxResults);
        cost = PartMatching.cost(loaded.queries.ids(), loaded.references.ids());
      }
    }
    if (parts) {
      predictions = PartMatching.fold(predictions, 0);
    }
    predictions = verify.apply(verification, perQuery.relative(predictions));
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

  /** Whether the inputs are PDQ hash CSVs (one file each) rather than descriptor files; a mix is refused. */
  private boolean hashFiles(List<Path> queries, List<Path> references) {
    List<Path> all = new java.util.ArrayList<>(queries);
    all.addAll(references);
    long csv = all.stream().filter(p -> p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".csv"))
        .count();
    if (csv > 0 && (csv < all.size() || queries.size() != 1 || references.size() != 1)) {
      throw usage("--queries and --references take descriptor files, or one PDQ hash CSV each; got " + all);
    }
    return csv > 0;
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
