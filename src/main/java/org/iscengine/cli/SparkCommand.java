package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.iscengine.extract.ImageList;
import org.iscengine.match.Matcher;
import org.iscengine.match.Predictions;
import org.iscengine.match.PredictionsCsv;
import org.iscengine.descriptor.PostProcessConfig;
import org.iscengine.spark.DistributedExtraction;
import org.iscengine.spark.DistributedPostProcessing;
import org.iscengine.spark.DistributedSearch;
import org.iscengine.spark.ExtractionSettings;
import org.iscengine.spark.ModelSource;
import org.iscengine.spark.SparkJobs;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code isc spark}: extraction and exact search as Apache Spark jobs. This class names no Spark
 * type, so that the command line loads without Spark; the jobs need it.
 */
@Command(
    name = "spark",
    description = {
      "Run extraction, exact search and post-processing as Apache Spark jobs: in an embedded session on",
      "every core of this machine (local[*]) by default, or on the cluster --master names. Executors read",
      "and write files by path: on a cluster, every path must name the same file on every machine (a shared",
      "file system)."
    },
    subcommands = {SparkCommand.Extract.class, SparkCommand.Search.class, SparkCommand.Postprocess.class})
final class SparkCommand extends IscCommand {
  @Override
  public Integer call() {
    throw usage("a spark command is required (extract, search, postprocess)");
  }

  /** Where the jobs run (a picocli mixin). */
  static final class ClusterOptions {
    @Option(names = "--master", description = "Spark master URL, e.g. spark://host:7077 or local[4] (default: the one"
        + " spark-submit sets, else local[*]).")
    String master;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting of the session (repeatable),"
        + " e.g. spark.executor.memory=8g.")
    Map<String, String> conf = new LinkedHashMap<>();

    SparkJobs.Cluster cluster() {
      return new SparkJobs.Cluster(master, conf);
    }
  }

  /** How descriptor files are cut into tasks, and how many rows a task searches at once (a picocli mixin). */
  static final class ShardOptions {
    static final String RULE = "--query-block and --shard-rows must be >= 1";

    @Option(names = "--shard-rows", description = "Rows per shard: files with more are cut (each task reads its whole"
        + " file) (default: one shard per file).")
    Integer rows;

    @Option(names = "--query-block", defaultValue = "" + DistributedSearch.DEFAULT_QUERY_BLOCK,
        description = "Rows a task searches at once (default: ${DEFAULT-VALUE}).")
    int queryBlock;

    boolean valid() {
      return queryBlock >= 1 && (rows == null || rows >= 1);
    }
  }

  @Command(name = "extract",
      description = {
        "Describe images with a model file, partitioned over the executors: one descriptor file per partition",
        "(OUT/part-NNNNN.h5, read in order they hold what isc extract writes; every command taking descriptor",
        "files takes them), optionally Parquet too. Unreadable images are skipped and listed (OUT.failures.txt);",
        "a re-run describes only the partitions that have no descriptor file yet."
      })
  static final class Extract extends IscCommand {
    @Option(names = "--model", required = true,
        description = "An isc model file or a TorchScript file (executors load it by path).")
    Path model;

    @Option(names = "--input-size", description = "Input side of a TorchScript file (default: 288).")
    Integer inputSize;

    @Option(names = "--images", required = true, description = "Folder of images, or a text file listing them.")
    Path images;

    @Option(names = "--out", required = true, description = "Output folder of the descriptor files.")
    Path out;

    @Option(names = "--parquet", description = "Also write the descriptors as Parquet (id, vector) to this folder.")
    Path parquet;

    @Option(names = "--partitions", description = "Partitions (default: an earlier run's, else one per "
        + DistributedExtraction.DEFAULT_PARTITION_IMAGES + " images and at least one per core).")
    Integer partitions;

    @CommandLine.Mixin DescribeOptions describe;

    @Option(names = "--workers", defaultValue = "1",
        description = "Image decoding threads of each task (default: ${DEFAULT-VALUE}; the executor's cores run tasks).")
    int workers;

    @CommandLine.Mixin ClusterOptions cluster;

    @CommandLine.Mixin JsonOption json;

    @Override
    public Integer call() throws Exception {
      new OutputPaths().input("--model", model).input("--images", images).output("--out", out)
          .output("--parquet", parquet).check();
      ExtractionSettings settings;
      try {
        settings = new ExtractionSettings(describe.batch, workers, describe.resize.mode, describe.scales, describe.flip,
            describe.parts);
      } catch (IllegalArgumentException e) {
        throw usage(e.getMessage());
      }
      ModelSource source = ModelSource.of(model, inputSize);
      ImageList list = ImageList.of(images);
      DistributedExtraction.Result result = SparkJobs.extract(cluster.cluster(), source, settings, list, out,
          partitions, parquet);
      Path failuresFile = SkippedImages.list(out, result.failures());
      PrintWriter stdout = out();
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("out", out.toString());
      summary.put("shards", result.shards().stream().map(Path::toString).toList());
      summary.put("described", result.described());
      summary.put("failed", result.failures().size());
      summary.put("partitionsDescribed", result.partitionsDescribed());
      summary.put("partitionsReused", result.partitionsReused());
      summary.put("seconds", result.seconds());
      if (parquet != null) {
        summary.put("parquet", parquet.toString());
      }
      json.print(stdout, summary, () -> stdout.printf(Locale.ROOT,
          "%d images described into %d shards in %s (%d partitions described, %d already done) in %.1f s%n",
          result.described(), result.shards().size(), out, result.partitionsDescribed(), result.partitionsReused(),
          result.seconds()));
      SkippedImages.report(err(), result.failures(), failuresFile);
      return 0;
    }
  }

  @Command(name = "search",
      description = {
        "Exact search of query descriptors against reference descriptors, the references cut into shards",
        "searched by the executors and the queries broadcast to them; the merged result is exactly isc match's",
        "(the same CSV): by default the globally best 500 000 pairs, with --k each query's k best."
      })
  static final class Search extends IscCommand {
    @Option(names = "--queries", required = true, split = ",", description = "Query descriptor file(s).")
    List<Path> queries;

    @Option(names = "--references", required = true, split = ",",
        description = "Reference descriptor file(s), e.g. the shards of isc spark extract.")
    List<Path> references;

    @Option(names = "--metric", defaultValue = "l2",
        description = "l2 (score: minus the squared distance) or ip (inner product) (default: ${DEFAULT-VALUE}).")
    Choices.MetricName metric;

    @Option(names = "--max-results", defaultValue = "" + Matcher.OFFICIAL_MAX_RESULTS,
        description = "Number of globally best pairs (default: ${DEFAULT-VALUE}).")
    int maxResults;

    @Option(names = "--k", description = "Each query's k best references instead of the global best pairs (k <= 1024).")
    Integer k;

    @CommandLine.Mixin ShardOptions shards;

    @Option(names = "--out", required = true, description = "Output CSV.")
    Path out;

    @CommandLine.Mixin ClusterOptions cluster;

    @CommandLine.Mixin JsonOption json;

    @Override
    public Integer call() throws Exception {
      new OutputPaths().input("--queries", queries).input("--references", references).output("--out", out).check();
      if (!shards.valid()) {
        throw usage(ShardOptions.RULE);
      }
      long start = System.nanoTime();
      SparkJobs.SearchResult found = SparkJobs.search(cluster.cluster(), metric.metric, queries, references, k,
          maxResults, shards.rows, shards.queryBlock);
      Predictions predictions = found.predictions();
      PredictionsCsv.write(out, predictions);
      double seconds = (System.nanoTime() - start) / 1e9;
      PrintWriter stdout = out();
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("predictions", predictions.size());
      result.put("out", out.toString());
      result.put("seconds", seconds);
      result.put("sessionSeconds", found.sessionSeconds());
      result.put("searchSeconds", found.searchSeconds());
      json.print(stdout, result, () -> stdout.printf(Locale.ROOT, "%d predictions written to %s in %.1f s%n",
          predictions.size(), out, seconds));
      return 0;
    }
  }

  @Command(name = "postprocess",
      description = {
        "isc postprocess on the executors, with the same settings (--recipe, --config and the step options):",
        "the PCA learned from moments gathered in a tree, DBA and NES from the distributed exact search. Writes",
        "OUT/queries, OUT/references and OUT/training (the training descriptors as the last step used them), a",
        "descriptor file per shard in input order (part-NNNNN.h5), and OUT/pca.h5 when a PCA is learned."
      })
  static final class Postprocess extends IscCommand {
    @CommandLine.Mixin PostProcessOptions steps;

    @CommandLine.Mixin ShardOptions shards;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @CommandLine.Mixin ClusterOptions cluster;

    @CommandLine.Mixin JsonOption json;

    @Override
    public Integer call() throws Exception {
      steps.inputs(new OutputPaths()).output("--out", out).check();
      if (!shards.valid()) {
        throw usage(ShardOptions.RULE);
      }
      PostProcessConfig settings = steps.settings();
      long start = System.nanoTime();
      DistributedPostProcessing.Result result = SparkJobs.postprocess(cluster.cluster(), settings, steps.queries,
          steps.references, steps.training, out, shards.rows, shards.queryBlock);
      double seconds = (System.nanoTime() - start) / 1e9;
      PrintWriter stdout = out();
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("settings", settings);
      summary.put("queries", result.queries().stream().map(Path::toString).toList());
      summary.put("references", result.references().stream().map(Path::toString).toList());
      summary.put("training", result.training().stream().map(Path::toString).toList());
      result.pca().ifPresent(pca -> summary.put("pca", pca.toString()));
      summary.put("dimension", result.dimension());
      summary.put("seconds", seconds);
      json.print(stdout, summary, () -> stdout.printf(Locale.ROOT,
          "post-processed into %s: %d query and %d reference files of %d dimensions (%s) in %.1f s%n", out,
          result.queries().size(), result.references().size(), result.dimension(), settings, seconds));
      return 0;
    }
  }
}
