package org.iscengine.train;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A recipe of class training (the matching-track winner's, seeds 000/003): a classifier over the
 * class folders of {@code isc data train-set}, loss = label-smoothed cross-entropy x ceWeight +
 * SoftTriple x tripleWeight, P x K sampling, warm-up then cosine, GeM; the backbone and head give
 * the descriptor and the classifier is dropped on export. YAML with these keys; built-in
 * {@code d2lv-mini} (trains on a 2-core CPU) and {@code d2lv-full} (the winner's scale).
 */
public record ClassRecipe(String name, long seed, String architecture, int inputSize, String head, int dimension,
    double gemP,
    int classesPerBatch, int perClass, long steps, double lr, long warmupSteps, double momentum, double weightDecay,
    double labelSmoothing, double ceWeight, double tripleWeight, int centers, double lambda, double gamma, double tau,
    double gradClip) {
  public static final List<String> BUILTIN = List.of("d2lv-mini", "d2lv-full");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

  public ClassRecipe {
    modelConfig(architecture, head, dimension, gemP, inputSize);
    if (classesPerBatch < 2 || perClass < 2) {
      throw new IllegalArgumentException("class recipe " + name + ": classesPerBatch and perClass must be >= 2 (SoftTriple"
          + " and the classifier need several classes and members per batch)");
    }
    if (steps < 1 || !(lr > 0) || warmupSteps < 0 || !(momentum >= 0 && momentum < 1) || !(weightDecay >= 0)) {
      throw new IllegalArgumentException("class recipe " + name + ": steps >= 1, lr > 0, warmupSteps >= 0, momentum in"
          + " [0, 1), weightDecay >= 0");
    }
    if (!(labelSmoothing >= 0 && labelSmoothing < 1) || !(ceWeight >= 0) || !(tripleWeight >= 0)
        || ceWeight + tripleWeight == 0 || !(gradClip > 0)) {
      throw new IllegalArgumentException("class recipe " + name + ": labelSmoothing in [0, 1), weights >= 0 and not"
          + " both 0, gradClip > 0");
    }
  }

  /** The network trained: the architecture, GeM and the head (none: the backbone's features are the descriptor). */
  public org.iscengine.model.ModelConfig modelConfig() {
    return modelConfig(architecture, head, dimension, gemP, inputSize);
  }

  private static org.iscengine.model.ModelConfig modelConfig(String architecture, String head, int dimension,
      double gemP, int inputSize) {
    org.iscengine.model.Architecture a = org.iscengine.model.Architecture.of(architecture);
    return new org.iscengine.model.ModelConfig(a.id(), head, dimension, gemP, false, inputSize, a.mean(), a.std());
  }

  /** This recipe with another seed (initial weights and batches). */
  public ClassRecipe withSeed(long newSeed) {
    return new ClassRecipe(name, newSeed, architecture, inputSize, head, dimension, gemP, classesPerBatch, perClass,
        steps, lr, warmupSteps, momentum, weightDecay, labelSmoothing, ceWeight, tripleWeight, centers, lambda, gamma,
        tau, gradClip);
  }

  /** The SoftTriple settings of this recipe for a number of classes and a descriptor dimension. */
  public SoftTripleLoss.Settings softTriple(int classes, int descriptorDimension) {
    return new SoftTripleLoss.Settings(classes, centers, descriptorDimension, lambda, gamma, tau, 0);
  }

  /** A built-in recipe by name, or a YAML file. */
  public static ClassRecipe named(String nameOrFile) {
    String key = nameOrFile.toLowerCase(Locale.ROOT);
    try {
      if (BUILTIN.contains(key)) {
        try (InputStream in = ClassRecipe.class.getResourceAsStream("classes/" + key + ".yaml")) {
          return YAML.readValue(in, ClassRecipe.class);
        }
      }
      Path file = Path.of(nameOrFile);
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("no class recipe '" + nameOrFile + "': neither a built-in one (" + BUILTIN
            + ") nor a file");
      }
      return YAML.readValue(file.toFile(), ClassRecipe.class);
    } catch (com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
      throw new IllegalArgumentException(nameOrFile + ": " + e.getCause().getMessage(), e);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(nameOrFile + ": not a class recipe: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot read " + nameOrFile + ": " + e.getMessage(), e);
    }
  }
}
