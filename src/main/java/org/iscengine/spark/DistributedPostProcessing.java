package org.iscengine.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.descriptor.Dba;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.descriptor.NegativeEmbeddingSubtraction;
import org.iscengine.descriptor.Pca;
import org.iscengine.descriptor.PostProcessConfig;
import org.iscengine.descriptor.ScoreNormalization;
import org.iscengine.io.AtomicFile;
import org.iscengine.io.FileTrees;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.Metric;
import org.iscengine.kernels.Tensors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code isc postprocess} as Spark jobs, for descriptor sets one machine cannot hold: the same
 * settings ({@link PostProcessConfig}) and, up to float32 rounding, the same descriptors. Every
 * set (queries, references, training) is cut into shards ({@link ReferenceShard}) and the work
 * that grows with the data runs on the executors:
 *
 * <ol>
 *   <li>the PCA's moments, a task per training shard, merged in a tree ({@link Pca.Moments}); the
 *       driver learns the PCA from them (one d x d eigendecomposition);
 *   <li>every shard L2-normalised and projected, a task each;
 *   <li>DBA of the training descriptors, then NES of the queries and references, shard by shard:
 *       the shard's nearest training rows by the distributed exact search ({@link
 *       DistributedSearch}), their weighted sum by {@link NeighbourSums};
 *   <li>score normalization of the queries from the same search.
 * </ol>
 *
 * The driver holds one shard at a time. The output folder holds {@code queries/}, {@code
 * references/} and {@code training/} (the training descriptors as the last step used them), a
 * descriptor file per shard in input order ({@code part-NNNNN.h5}), and {@code pca.h5} when a PCA
 * was learned. Executors read and write these files by path.
 */
public final class DistributedPostProcessing {
  private static final Logger log = LoggerFactory.getLogger(DistributedPostProcessing.class);

  private final SparkSession spark;
  private final PostProcessConfig config;
  private final Integer shardRows;
  private final DistributedSearch search;

  /**
   * @param shardRows rows per shard (null: a shard per input file)
   * @param queryBlock rows of a shard searched at once by a task
   */
  public DistributedPostProcessing(SparkSession spark, PostProcessConfig config, Integer shardRows, int queryBlock) {
    this.spark = spark;
    this.config = config;
    this.shardRows = shardRows;
    this.search = new DistributedSearch(spark, Metric.INNER_PRODUCT, null, queryBlock);
  }

  /** The files written, each set's in input order, and the output dimension. */
  public record Result(List<Path> queries, List<Path> references, List<Path> training, Optional<Path> pca,
      int dimension) {}

  /** training may be null when no step needs it. */
  public Result run(List<Path> queries, List<Path> references, List<Path> training, Path out) {
    int dim = Math.toIntExact(ReferenceShard.shape(queries.get(0))[1]);
    List<ReferenceShard> q = ReferenceShard.plan(queries, dim, shardRows);
    List<ReferenceShard> r = ReferenceShard.plan(references, dim, shardRows);
    List<ReferenceShard> t = training == null ? List.of() : ReferenceShard.plan(training, dim, shardRows);
    config.checkTraining(training == null ? null : ReferenceShard.rows(t));
    for (List<Path> set : training == null ? List.of(queries, references) : List.of(queries, references, training)) {
      ReferenceShard.ids(set);  // unique ids, as every output file needs
    }
    Path folder = out.toAbsolutePath().normalize();
    Path work = folder.resolve(".work");
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

    Optional<Path> pca = config.pca() ? Optional.of(learnPca(jsc, t, dim, folder.resolve("pca.h5"))) : Optional.empty();
    Prepare prepare = new Prepare(config.normalize(), pca.map(Path::toString).orElse(null));
    List<ReferenceShard> preparedQueries = prepare.run(jsc, q, work.resolve("queries"));
    List<ReferenceShard> preparedReferences = prepare.run(jsc, r, work.resolve("references"));
    List<ReferenceShard> negatives = prepare.run(jsc, t, work.resolve("training"));
    int outDim = config.pcaDimension() > 0 ? config.pcaDimension() : dim;

    List<Path> trainingOut = List.of();
    if (!t.isEmpty()) {
      trainingOut = config.dbaK() > 0 ? dba(jsc, negatives, folder.resolve("training"))
          : publish(negatives, folder.resolve("training"));
      negatives = ReferenceShard.plan(trainingOut, outDim, null);
    }
    List<Path> queriesOut = new ArrayList<>();
    List<Path> referencesOut = new ArrayList<>();
    for (int i = 0; i < preparedQueries.size(); i++) {
      queriesOut.add(finish(jsc, preparedQueries.get(i), negatives, true, part(folder.resolve("queries"), i),
          "query shard " + (i + 1) + " of " + preparedQueries.size()));
    }
    for (int i = 0; i < preparedReferences.size(); i++) {
      referencesOut.add(finish(jsc, preparedReferences.get(i), negatives, false, part(folder.resolve("references"), i),
          "reference shard " + (i + 1) + " of " + preparedReferences.size()));
    }
    deleteTree(work);
    int written = outDim + (config.scoreNormalization().isEmpty() ? 0 : 1);
    return new Result(queriesOut, referencesOut, trainingOut, pca, written);
  }

  private static Path part(Path folder, int index) {
    return folder.resolve(String.format("part-%05d.h5", index));
  }

  /** The PCA learned from the training shards' moments (after L2 normalization when set), saved to file. */
  private Path learnPca(JavaSparkContext jsc, List<ReferenceShard> training, int dim, Path file) {
    boolean normalize = config.normalize();
    jsc.setJobDescription("isc spark postprocess: PCA moments of " + training.size() + " training shards");
    Pca.Moments moments = jsc.parallelize(training, training.size())
        .map(shard -> Prepare.moments(shard, normalize))
        .treeReduce(Pca.Moments::merge);
    int outDim = config.pcaDimension() > 0 ? config.pcaDimension() : dim;
    log.info("learning {} to {} dimensions on {} training descriptors", config.whiten() ? "PCA-whitening" : "PCA",
        outDim, moments.count());
    try (Pca pca = Pca.fit(moments, outDim, config.whiten() ? Pca.WHITEN : 0)) {
      pca.save(file);
    }
    return file;
  }

  /** Each shard L2-normalised and projected (as set) on the executors, into one file each. */
  private record Prepare(boolean normalize, String pcaFile) implements Serializable {
    private static final long serialVersionUID = 1L;

    List<ReferenceShard> run(JavaSparkContext jsc, List<ReferenceShard> shards, Path folder) {
      if (shards.isEmpty()) {
        return List.of();
      }
      List<String> files = new ArrayList<>();
      for (int i = 0; i < shards.size(); i++) {
        files.add(part(folder, i).toString());
      }
      jsc.setJobDescription("isc spark postprocess: normalise and project " + shards.size() + " shards of "
          + folder.getFileName());
      jsc.parallelize(indices(shards.size()), shards.size())
          .foreach(i -> write(shards.get(i), Path.of(files.get(i))));
      return ReferenceShard.plan(files.stream().map(Path::of).toList(), dimension(shards.get(0)), null);
    }

    private int dimension(ReferenceShard any) {
      if (pcaFile == null) {
        return Math.toIntExact(ReferenceShard.shape(Path.of(any.file()))[1]);
      }
      try (Pca pca = Pca.load(Path.of(pcaFile))) {
        return pca.outputDim();
      }
    }

    private void write(ReferenceShard shard, Path file) {
      try (Descriptors rows = shard.read();
          Tensor unit = normalize ? Tensors.l2Normalize(rows.vectors()) : rows.vectors().clone()) {
        if (pcaFile == null) {
          DescriptorFiles.write(file, new Descriptors(rows.ids(), unit));
          return;
        }
        try (Pca pca = Pca.load(Path.of(pcaFile));
            Tensor projected = pca.apply(unit);
            Tensor projectedUnit = Tensors.l2Normalize(projected)) {
          DescriptorFiles.write(file, new Descriptors(rows.ids(), projectedUnit));
        }
      }
    }

    static Pca.Moments moments(ReferenceShard shard, boolean normalize) {
      try (Descriptors rows = shard.read();
          Tensor unit = normalize ? Tensors.l2Normalize(rows.vectors()) : rows.vectors().clone()) {
        return Pca.Moments.of(unit);
      }
    }
  }

  private static List<Integer> indices(int n) {
    List<Integer> all = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      all.add(i);
    }
    return all;
  }

  /** DBA of the training shards, each against all of them, into the folder. */
  private List<Path> dba(JavaSparkContext jsc, List<ReferenceShard> training, Path folder) {
    Dba dba = new Dba(config.dbaK(), config.dbaAlpha());
    log.info("DBA of {} training descriptors (k={}, alpha={})", ReferenceShard.rows(training), dba.k(), dba.alpha());
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < training.size(); i++) {
      try (Descriptors rows = training.get(i).read()) {
        RankedLists lists = search.rank(rows, training, dba.k(),
            "isc spark postprocess: DBA of training shard " + (i + 1) + " of " + training.size());
        float[] weights;
        try (Tensor scores = HostTensors.tensor(lists.scores(), lists.queries(), lists.k());
            Tensor w = dba.weights(scores)) {
          weights = HostTensors.toArray(w);
        }
        try (Tensor sum = sums(jsc, lists, weights, training, rows.dim());
            Tensor unit = Tensors.l2Normalize(sum)) {
          files.add(write(part(folder, i), rows.ids(), unit));
        }
      }
    }
    return files;
  }

  /** NES (as set), then the extra dimension of score normalization (as set), of one prepared shard. */
  private Path finish(JavaSparkContext jsc, ReferenceShard shard, List<ReferenceShard> negatives, boolean queries,
      Path file, String what) {
    try (Descriptors rows = shard.read()) {
      Tensor x = rows.vectors().clone();
      try {
        if (config.nesK() > 0) {
          var nes = new NegativeEmbeddingSubtraction(config.nesK(), config.nesBeta(), config.nesIterations());
          float[] uniform = new float[rows.size() * nes.k()];
          java.util.Arrays.fill(uniform, 1.0f / nes.k());
          for (int it = 0; it < nes.iterations(); it++) {
            try (Descriptors current = new Descriptors(rows.ids(), new Tensor(x))) {
              RankedLists lists = search.rank(current, negatives, nes.k(), "isc spark postprocess: NES of " + what);
              try (Tensor mean = sums(jsc, lists, uniform, negatives, rows.dim())) {
                x = replace(x, nes.step(x, mean));
              }
            }
          }
        }
        if (!config.scoreNormalization().isEmpty()) {
          if (queries) {
            ScoreNormalization norm = ScoreNormalization.parse(config.scoreNormalization());
            RankedLists lists;
            try (Descriptors current = new Descriptors(rows.ids(), new Tensor(x))) {
              lists = search.rank(current, negatives, norm.lastRank() + 1,
                  "isc spark postprocess: score normalization of " + what);
            }
            try (Tensor scores = HostTensors.tensor(lists.scores(), lists.queries(), lists.k())) {
              x = replace(x, norm.queriesScored(x, scores));
            }
          } else {
            x = replace(x, ScoreNormalization.references(x));
          }
        }
        return write(file, rows.ids(), x);
      } finally {
        x.close();
      }
    }
  }

  private static Tensor sums(JavaSparkContext jsc, RankedLists lists, float[] weights, List<ReferenceShard> pool,
      int dim) {
    return HostTensors.tensor(NeighbourSums.of(jsc, lists, weights, pool, dim), lists.queries(), dim);
  }

  /** The prepared shards as they are, moved into the folder. */
  private static List<Path> publish(List<ReferenceShard> prepared, Path folder) {
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < prepared.size(); i++) {
      Path from = Path.of(prepared.get(i).file());
      Path to = part(folder, i);
      AtomicFile.write(to, tmp -> Files.move(from, tmp, StandardCopyOption.REPLACE_EXISTING));
      files.add(to);
    }
    return files;
  }

  private static Path write(Path file, List<String> ids, Tensor vectors) {
    try (Descriptors d = new Descriptors(ids, new Tensor(vectors))) {
      DescriptorFiles.write(file, d);
    }
    return file;
  }

  private static Tensor replace(Tensor old, Tensor next) {
    old.close();
    return next;
  }

  private static void deleteTree(Path folder) {
    try {
      FileTrees.delete(folder);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + folder + ": " + e.getMessage(), e);
    }
  }
}
