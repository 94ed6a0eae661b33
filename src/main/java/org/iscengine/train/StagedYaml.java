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
 * The YAML form every staged recipe shares: {@code name}, {@code seed}, {@code defaults} and a
 * list of {@code stages}; a key a stage leaves out comes from the defaults, then from the previous
 * stage. Unknown keys and missing required ones are errors that name the key.
 *
 * @param <S> the stage record, deserialised by Jackson (its checks throw IllegalArgumentException)
 */
final class StagedYaml<S extends Record> {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  /** A read recipe: its name, seed and stages. */
  record Parsed<S>(String name, long seed, List<S> stages) {}

  private final Class<S> type;
  private final List<String> optional;
  private final String kind;

  /**
   * @param kind what the recipes are called in messages (e.g. "recipe")
   * @param optional keys a stage may leave out
   */
  StagedYaml(Class<S> type, List<String> optional, String kind) {
    this.type = type;
    this.optional = List.copyOf(optional);
    this.kind = kind;
  }

  /** A built-in recipe (a resource beside type, {@code folder/name.yaml}) when name is one of builtins, else a file. */
  Parsed<S> named(String nameOrFile, List<String> builtins, String folder) {
    String key = nameOrFile.toLowerCase(Locale.ROOT);
    if (builtins.contains(key)) {
      try (InputStream in = type.getResourceAsStream(folder + "/" + key + ".yaml")) {
        return parse(YAML.readTree(in), "built-in " + kind + " " + key);
      } catch (IOException e) {
        throw new IllegalStateException("built-in " + kind + " " + key + " unreadable", e);
      }
    }
    Path file = Path.of(nameOrFile);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("no " + kind + " '" + nameOrFile + "': neither a built-in one (" + builtins
          + ") nor a file");
    }
    return read(file);
  }

  Parsed<S> read(Path file) {
    try {
      return parse(YAML.readTree(file.toFile()), file.toString());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": not valid YAML: " + e.getMessage(), e);
    }
  }

  Parsed<S> parse(JsonNode root, String where) {
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
    for (var c : type.getRecordComponents()) {
      known.add(c.getName());
    }
    checkKeys(current, known, where + ": defaults");
    List<S> stages = new ArrayList<>();
    for (JsonNode s : stagesNode) {
      if (!s.isObject()) {
        throw new IllegalArgumentException(where + ": every stage must be a mapping");
      }
      checkKeys(s, known, where + ": stage " + s.path("name").asText("?"));
      current.setAll((ObjectNode) s.deepCopy());
      for (String k : known) {
        if (!current.has(k) && !optional.contains(k)) {
          throw new IllegalArgumentException(where + ": stage " + s.path("name").asText("?") + " does not set '"
              + k + "' (nor do the defaults or an earlier stage)");
        }
      }
      try {
        stages.add(YAML.treeToValue(current, type));
      } catch (IOException e) {
        Throwable cause = e.getCause() instanceof IllegalArgumentException iae ? iae : e;
        throw new IllegalArgumentException(where + ": " + cause.getMessage(), e);
      }
    }
    return new Parsed<>(root.path("name").asText("unnamed"), root.path("seed").asLong(0), stages);
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
}
