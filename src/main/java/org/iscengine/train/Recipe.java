package org.iscengine.train;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A training recipe: stages run in order, each from the previous one's weights, with a seed. A
 * YAML file; keys left out of a stage are taken from the file's {@code defaults} mapping, then
 * from the previous stage. Built-in recipes: {@code lyakaap} (the descriptor-track winner's v83 →
 * v86 → v98 → v107), {@code mini} (a scaled-down v83 that trains on a 2-core CPU), {@code tiny}
 * (seconds, for tests and smoke runs).
 */
public record Recipe(String name, long seed, List<Stage> stages) {
  public static final List<String> BUILTIN = List.of("lyakaap", "mini", "tiny");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  public Recipe {
    if (stages == null || stages.isEmpty()) {
      throw new IllegalArgumentException("recipe " + name + " has no stages");
    }
    Set<String> names = new HashSet<>();
    for (Stage s : stages) {
      if (!names.add(s.name())) {
        throw new IllegalArgumentException("recipe " + name + ": two stages are called " + s.name());
      }
    }
    stages = List.copyOf(stages);
  }

  /** A built-in recipe by name, or a YAML file. */
  public static Recipe named(String nameOrFile) {
    String key = nameOrFile.toLowerCase(Locale.ROOT);
    if (BUILTIN.contains(key)) {
      try (InputStream in = Recipe.class.getResourceAsStream("recipes/" + key + ".yaml")) {
        return parse(YAML.readTree(in), "built-in recipe " + key);
      } catch (IOException e) {
        throw new IllegalStateException("built-in recipe " + key + " unreadable", e);
      }
    }
    Path file = Path.of(nameOrFile);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("no recipe '" + nameOrFile + "': neither a built-in one (" + BUILTIN
          + ") nor a file");
    }
    return read(file);
  }

  public static Recipe read(Path file) {
    try {
      return parse(YAML.readTree(file.toFile()), file.toString());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": not valid YAML: " + e.getMessage(), e);
    }
  }

  private static Recipe parse(JsonNode root, String where) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(where + ": expected a mapping with name, seed, defaults and stages");
    }
    for (var it = root.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!List.of("name", "seed", "defaults", "stages").contains(k)) {
        throw new IllegalArgumentException(where + ": unknown key '" + k + "'; known: name, seed, defaults, stages");
      }
    }
    JsonNode stagesNode = root.path("stages");
    if (!stagesNode.isArray() || stagesNode.isEmpty()) {
      throw new IllegalArgumentException(where + ": 'stages' must be a non-empty list");
    }
    ObjectNode current = root.path("defaults").isObject() ? ((ObjectNode) root.get("defaults")).deepCopy()
        : YAML.createObjectNode();
    Set<String> known = new HashSet<>();
    for (var c : Stage.class.getRecordComponents()) {
      known.add(c.getName());
    }
    checkKeys(current, known, where + ": defaults");
    List<Stage> stages = new ArrayList<>();
    for (JsonNode s : stagesNode) {
      if (!s.isObject()) {
        throw new IllegalArgumentException(where + ": every stage must be a mapping");
      }
      checkKeys(s, known, where + ": stage " + s.path("name").asText("?"));
      current.setAll((ObjectNode) s.deepCopy());
      for (String k : known) {
        if (!current.has(k) && !Stage.OPTIONAL.contains(k)) {
          throw new IllegalArgumentException(where + ": stage " + s.path("name").asText("?") + " does not set '"
              + k + "' (nor do the defaults or an earlier stage)");
        }
      }
      try {
        stages.add(YAML.treeToValue(current, Stage.class));
      } catch (IOException e) {
        Throwable cause = e.getCause() instanceof IllegalArgumentException iae ? iae : e;
        throw new IllegalArgumentException(where + ": " + cause.getMessage(), e);
      }
    }
    return new Recipe(root.path("name").asText("unnamed"), root.path("seed").asLong(0), stages);
  }

  private static void checkKeys(JsonNode node, Set<String> known, String where) {
    for (var it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!known.contains(k)) {
        throw new IllegalArgumentException(where + ": unknown key '" + k + "'; known: " + known.stream().sorted()
            .toList());
      }
    }
  }

  /** The seed of stage index: its random initial weights, shuffles and augmentations derive from it. */
  public long stageSeed(int index) {
    return seed * 1_000_003L + index;
  }

  /** This recipe with another seed. */
  public Recipe withSeed(long newSeed) {
    return new Recipe(name, newSeed, stages);
  }
}
