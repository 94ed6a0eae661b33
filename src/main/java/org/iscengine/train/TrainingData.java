package org.iscengine.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.iscengine.eval.GroundTruth;
import org.iscengine.extract.ImageList;

/**
 * The images a recipe trains on: the training pool (two views of each image); optionally
 * reference images (extra negatives, the winner's v98) and ground-truth (query, reference) pairs
 * (its v107 fine-tuning), from a folder in the DISC21 layout.
 */
public record TrainingData(List<Path> images, List<Path> references, List<Pair> pairs) {
  /** A query image and the reference it copies. */
  public record Pair(Path query, Path reference) {}

  public TrainingData {
    images = List.copyOf(images);
    references = List.copyOf(references);
    pairs = List.copyOf(pairs);
  }

  /**
   * @param images folder or list of training images
   * @param references folder or list of reference images (null: none)
   * @param pairsRoot folder with query_images/, reference_images/ and ground_truth.csv (null: none)
   */
  public static TrainingData of(Path images, Path references, Path pairsRoot) {
    List<Path> train = ImageList.of(images).files();
    List<Path> refs = references == null ? List.of() : ImageList.of(references).files();
    List<Pair> pairs = pairsRoot == null ? List.of() : pairs(pairsRoot);
    return new TrainingData(train, refs, pairs);
  }

  private static List<Pair> pairs(Path root) {
    Path csv = root.resolve("ground_truth.csv");
    if (!Files.isRegularFile(csv)) {
      throw new IllegalArgumentException(root + ": no ground_truth.csv (training pairs need the DISC21 layout)");
    }
    ImageList queries = ImageList.of(root.resolve("query_images"));
    ImageList refs = ImageList.of(root.resolve("reference_images"));
    Map<String, Path> queryFiles = byId(queries);
    Map<String, Path> refFiles = byId(refs);
    List<Pair> pairs = GroundTruth.read(csv).matches().stream()
        .filter(m -> queryFiles.containsKey(m.query()) && refFiles.containsKey(m.reference()))
        .map(m -> new Pair(queryFiles.get(m.query()), refFiles.get(m.reference())))
        .toList();
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException(root + ": ground_truth.csv names no (query, reference) pair found in"
          + " query_images/ and reference_images/");
    }
    return pairs;
  }

  private static Map<String, Path> byId(ImageList list) {
    Map<String, Path> out = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      out.put(list.ids().get(i), list.files().get(i));
    }
    return out;
  }

  /** Samples of a stage: pairs when it trains on pairs, else training images. */
  int samples(Stage stage) {
    return stage.pairs() ? pairs.size() : images.size();
  }

  /** Says what a stage needs that is missing. */
  void check(Stage stage) {
    if (stage.pairs() && pairs.isEmpty()) {
      throw new IllegalArgumentException("stage " + stage.name() + " trains on ground-truth pairs: give --pairs DIR"
          + " (query_images/, reference_images/, ground_truth.csv)");
    }
    if (stage.referenceNegatives() > 0 && references.isEmpty()) {
      throw new IllegalArgumentException("stage " + stage.name() + " uses reference images as extra negatives:"
          + " give --references DIR");
    }
    if (samples(stage) < stage.batchSize()) {
      throw new IllegalArgumentException("stage " + stage.name() + ": " + samples(stage) + " samples, fewer than"
          + " one batch of " + stage.batchSize());
    }
  }
}
