package org.iscengine.descriptor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What post-processing does, in order: L2-normalise; PCA or PCA-whitening learned on the
 * training descriptors (then L2 again); DBA of the training descriptors; negative embedding
 * subtraction of queries and references against them; score normalization (an extra
 * dimension). A step with k (or dimension) 0, or no spec, is skipped. Loaded from YAML with
 * these keys; the defaults are the descriptor-track winner's.
 *
 * @param normalize L2-normalise the inputs first
 * @param pcaDimension PCA output dimension; 0 keeps the input's (PCA then runs only to whiten)
 * @param whiten PCA-whitening (eigenvalue power -0.5)
 * @param dbaK DBA neighbours (itself included), 0 for none
 * @param dbaAlpha DBA similarity exponent
 * @param nesK NES negatives averaged, 0 for none
 * @param nesBeta NES step
 * @param nesIterations NES repetitions
 * @param scoreNormalization SSCD's notation weight[first,last] (e.g. 1.0[0,2]); empty for none
 */
public record PostProcessConfig(
    boolean normalize,
    int pcaDimension,
    boolean whiten,
    int dbaK,
    double dbaAlpha,
    int nesK,
    double nesBeta,
    int nesIterations,
    String scoreNormalization) {
  public PostProcessConfig {
    scoreNormalization = scoreNormalization == null || scoreNormalization.equalsIgnoreCase("none")
        ? "" : scoreNormalization.strip();
    if (pcaDimension < 0 || dbaK < 0 || nesK < 0) {
      throw new IllegalArgumentException("post-processing: dimensions and k must be >= 0 (0 skips the step)");
    }
    if (dbaK > 0) {
      new Dba(dbaK, dbaAlpha);
    }
    if (nesK > 0) {
      new NegativeEmbeddingSubtraction(nesK, nesBeta, nesIterations);
    }
    if (!scoreNormalization.isEmpty()) {
      ScoreNormalization.parse(scoreNormalization);
    }
  }

  /** The named recipes: lyakaap (default), d2lv, sscd, none. */
  public static PostProcessConfig recipe(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      // Descriptor-track winner: DBA on training, NES of queries and references.
      case "lyakaap" -> new PostProcessConfig(true, 0, false, 10, 3, 10, 0.35, 1, "");
      // Matching-track winner: PCA-whitening learned on training, score normalization 2 x mean of 10.
      case "d2lv" -> new PostProcessConfig(true, 0, true, 0, 3, 0, 0.35, 1, ScoreNormalization.d2lv().toString());
      // SSCD: PCA-whitening, score normalization 1 x mean of ranks 0..2.
      case "sscd" -> new PostProcessConfig(true, 0, true, 0, 3, 0, 0.35, 1, ScoreNormalization.sscd().toString());
      case "none" -> new PostProcessConfig(true, 0, false, 0, 3, 0, 0.35, 1, "");
      default -> throw new IllegalArgumentException("unknown post-processing recipe '" + name
          + "'; known: lyakaap, d2lv, sscd, none");
    };
  }

  /**
   * A YAML file of these keys, any of them left out taken from its {@code recipe} key (else from
   * the recipe given). Unknown keys are an error.
   */
  public static PostProcessConfig read(Path yaml, String defaultRecipe) {
    ObjectMapper mapper = new ObjectMapper(new YAMLFactory());
    try {
      JsonNode node = mapper.readTree(yaml.toFile());
      if (node == null || node.isMissingNode() || node.isNull()) {
        node = mapper.createObjectNode();
      }
      if (!node.isObject()) {
        throw new IllegalArgumentException(yaml + ": expected a mapping of post-processing settings");
      }
      ObjectNode merged = mapper.valueToTree(recipe(node.path("recipe").asText(defaultRecipe)));
      var fields = node.fields();
      while (fields.hasNext()) {
        var f = fields.next();
        if (f.getKey().equals("recipe")) {
          continue;
        }
        if (!merged.has(f.getKey())) {
          throw new IllegalArgumentException(yaml + ": unknown key '" + f.getKey() + "'; known: recipe, "
              + String.join(", ", (Iterable<String>) merged::fieldNames));
        }
        merged.set(f.getKey(), f.getValue());
      }
      return mapper.treeToValue(merged, PostProcessConfig.class);
    } catch (IOException e) {
      throw new IllegalArgumentException(yaml + ": not a valid post-processing config: " + e.getMessage(), e);
    }
  }

  /** Whether a PCA step runs. */
  public boolean pca() {
    return pcaDimension > 0 || whiten;
  }

  /**
   * Fails, naming the step, where the steps need training descriptors and none are given
   * (trainingRows null), or more neighbours than there are.
   */
  public void checkTraining(Long trainingRows) {
    if (!needsTraining()) {
      return;
    }
    if (trainingRows == null) {
      throw new IllegalArgumentException("these post-processing steps need training descriptors (PCA, DBA, NES or"
          + " score normalization)");
    }
    requireNeighbours("DBA k", dbaK, trainingRows);
    requireNeighbours("NES k", nesK, trainingRows);
    if (!scoreNormalization.isEmpty()) {
      requireNeighbours("score normalization's ranks", ScoreNormalization.parse(scoreNormalization).lastRank() + 1,
          trainingRows);
    }
  }

  private static void requireNeighbours(String what, int neighbours, long trainingRows) {
    if (neighbours > trainingRows) {
      throw new IllegalArgumentException(what + " = " + neighbours + " needs more than the " + trainingRows
          + " training descriptors");
    }
  }

  /** Whether any step needs training descriptors. */
  public boolean needsTraining() {
    return pca() || dbaK > 0 || nesK > 0 || !scoreNormalization.isEmpty();
  }
}
