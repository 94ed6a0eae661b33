package org.iscengine.spark;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.descriptor.PostProcessConfig;
import org.iscengine.errors.IscException;
import org.iscengine.extract.ImageList;
import org.iscengine.kernels.Metric;
import org.iscengine.match.Predictions;

/**
 * The distributed jobs as the command line runs them, each in its own session ({@link
 * SparkSessions}), in terms of the engine's types only: callers need not have Spark on their
 * class path to load this class, only to run a job. A job that fails on an executor fails here
 * with the executor's error as the cause.
 */
public final class SparkJobs {
  private static final String SPARK = "org.apache.spark.sql.SparkSession";

  private SparkJobs() {}

  /** Where and how the jobs run. */
  public record Cluster(String master, Map<String, String> conf) {
    public Cluster {
      conf = Map.copyOf(conf);
    }
  }

  /** Whether Spark is on the class path. */
  public static boolean available() {
    try {
      Class.forName(SPARK, false, SparkJobs.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** Describes the images into shards in the folder, then (when parquet is not null) writes them as Parquet too. */
  public static DistributedExtraction.Result extract(Cluster cluster, ModelSource model, ExtractionSettings settings,
      ImageList images, Path folder, Integer partitions, Path parquet) {
    requireSpark();
    try (SparkSessions.Lease lease = SparkSessions.open(cluster.master(), "isc spark extract", cluster.conf())) {
      DistributedExtraction.Result result = new DistributedExtraction(lease.session(), model, settings)
          .run(images, folder, partitions);
      if (parquet != null) {
        ParquetExport.write(lease.session(), result.shards(), parquet);
      }
      return result;
    } catch (Exception e) {  // Spark's own exceptions are checked ones that Scala throws undeclared
      throw SparkFailures.explain(e);
    }
  }

  /**
   * What a search found, and its time: to start (or join) the session, then the search (reading
   * the queries included).
   */
  public record SearchResult(Predictions predictions, double sessionSeconds, double searchSeconds) {}

  /**
   * Searches the references for the queries: each query's k best when k is not null, else the
   * best maxResults pairs over all queries.
   */
  public static SearchResult search(Cluster cluster, Metric metric, List<Path> queries, List<Path> references,
      Integer k, int maxResults, Integer shardRows, int queryBlock) {
    requireSpark();
    long start = System.nanoTime();
    try (SparkSessions.Lease lease = SparkSessions.open(cluster.master(), "isc spark search", cluster.conf())) {
      long started = System.nanoTime();
      try (Descriptors q = DescriptorFiles.read(queries)) {
        DistributedSearch search = new DistributedSearch(lease.session(), metric, shardRows, queryBlock);
        Predictions found = k != null ? search.knn(q, references, k) : search.top(q, references, maxResults);
        return new SearchResult(found, (started - start) / 1e9, (System.nanoTime() - started) / 1e9);
      }
    } catch (Exception e) {  // Spark's own exceptions are checked ones that Scala throws undeclared
      throw SparkFailures.explain(e);
    }
  }

  /** Post-processes the descriptor files into the folder (see {@link DistributedPostProcessing}). */
  public static DistributedPostProcessing.Result postprocess(Cluster cluster, PostProcessConfig config,
      List<Path> queries, List<Path> references, List<Path> training, Path folder, Integer shardRows, int queryBlock) {
    requireSpark();
    try (SparkSessions.Lease lease = SparkSessions.open(cluster.master(), "isc spark postprocess", cluster.conf())) {
      return new DistributedPostProcessing(lease.session(), config, shardRows, queryBlock)
          .run(queries, references, training, folder);
    } catch (Exception e) {  // Spark's own exceptions are checked ones that Scala throws undeclared
      throw SparkFailures.explain(e);
    }
  }

  private static void requireSpark() {
    if (!available()) {
      throw new IscException(IscException.Kind.UNAVAILABLE, "Apache Spark is not on the class path: run isc spark"
          + " with the isc launcher (it adds Spark), or under spark-submit");
    }
  }
}
