package org.iscengine.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.iscengine.extract.Extractor;
import org.iscengine.extract.ImageList;
import org.iscengine.io.FileTrees;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Describes a list of images on a Spark cluster: the list is cut into partitions of consecutive
 * images, each described by one task ({@link PartitionExtraction}) into its own descriptor file
 * (a shard, {@link ShardLayout}). Read in order, the shards hold what {@code isc extract} writes
 * for the whole list. Unreadable images are listed, not fatal; a re-run describes only the
 * partitions that have no shard yet.
 */
public final class DistributedExtraction {
  private static final Logger log = LoggerFactory.getLogger(DistributedExtraction.class);

  /** Images per partition when the number of partitions is not given (at least one per core). */
  public static final int DEFAULT_PARTITION_IMAGES = 4096;

  private final SparkSession spark;
  private final ModelSource model;
  private final ExtractionSettings settings;

  /** What a run produced: every shard, in order, and the images that could not be read. */
  public record Result(List<Path> shards, int described, List<Extractor.Failure> failures, int partitionsDescribed,
      int partitionsReused, double seconds) {}

  public DistributedExtraction(SparkSession spark, ModelSource model, ExtractionSettings settings) {
    this.spark = spark;
    this.model = model;
    this.settings = settings;
  }

  /**
   * Describes the images into the folder.
   *
   * @param partitions how many partitions; null: the folder's earlier run's, else one per {@link
   *     #DEFAULT_PARTITION_IMAGES} images and at least one per core of the cluster
   */
  public Result run(ImageList images, Path folder, Integer partitions) {
    long start = System.nanoTime();
    ShardLayout layout = new ShardLayout(folder);
    int count = claim(layout, images, partitions);
    List<ImagePartition> all = ImagePartition.split(images, count);
    List<ImagePartition> todo = all.stream().filter(p -> !layout.isDone(p.index())).toList();
    log.info("{} images in {} partitions, {} to describe", images.size(), count, todo.size());
    Map<Integer, PartitionReport> reports = new HashMap<>();
    if (!todo.isEmpty()) {
      PartitionExtraction task = new PartitionExtraction(model, settings, layout.folder());
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      jsc.setJobDescription("isc spark extract: " + todo.size() + " of " + count + " partitions");
      jsc.parallelize(todo, todo.size()).map(task::run).collect().forEach(r -> reports.put(r.partition(), r));
    }
    List<Extractor.Failure> failures = new ArrayList<>();
    int described = 0;
    for (ImagePartition p : all) {
      PartitionReport report = reports.computeIfAbsent(p.index(),
          i -> PartitionReport.of(i, p.size(), layout.readFailures(i), 0));
      failures.addAll(report.failureList());
      described += report.described();
    }
    deleteQuietly(layout.folder().resolve(".staging"));
    return new Result(layout.shards(count), described, failures, todo.size(), count - todo.size(),
        (System.nanoTime() - start) / 1e9);
  }

  /**
   * The number of partitions, after checking that the folder is empty or holds an earlier run of
   * the same work; records the work in a new folder.
   */
  private int claim(ShardLayout layout, ImageList images, Integer partitions) {
    String modelSha256 = model.sha256();
    var earlier = layout.readManifest();
    int count = partitions != null ? partitions
        : earlier.map(ExtractionManifest::partitions).orElseGet(() -> defaultPartitions(images.size()));
    if (count < 1 || count > images.size()) {
      throw new IllegalArgumentException("partitions must be in [1, " + images.size() + "] for " + images.size()
          + " images, got " + count);
    }
    ExtractionManifest wanted = ExtractionManifest.of(model, modelSha256, settings, images.ids(), count);
    if (earlier.isPresent()) {
      if (!earlier.get().sameWork(wanted)) {
        throw new IllegalArgumentException(layout.folder() + " holds another extraction (other images, model,"
            + " settings or number of partitions): delete it to start over, or write to another folder");
      }
      log.info("resuming the extraction in {}", layout.folder());
      return count;
    }
    if (hasFiles(layout.folder())) {
      throw new IllegalArgumentException(layout.folder() + " is not empty and holds no extraction: name a new or"
          + " empty folder");
    }
    layout.writeManifest(wanted);
    return count;
  }

  private int defaultPartitions(int images) {
    int cores = spark.sparkContext().defaultParallelism();
    int bySize = (images + DEFAULT_PARTITION_IMAGES - 1) / DEFAULT_PARTITION_IMAGES;
    return Math.max(1, Math.min(images, Math.max(cores, bySize)));
  }

  private static boolean hasFiles(Path folder) {
    if (!Files.isDirectory(folder)) {
      return false;
    }
    try (var entries = Files.list(folder)) {
      return entries.findAny().isPresent();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + folder + ": " + e.getMessage(), e);
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      FileTrees.delete(dir);
    } catch (IOException e) {
      log.warn("could not remove {}: {}", dir, e.getMessage());
    }
  }
}
