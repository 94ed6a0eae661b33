package org.iscengine.train;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
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
  private static final StagedYaml<Stage> FORM = new StagedYaml<>(Stage.class, Stage.OPTIONAL, "recipe");

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
    return of(FORM.named(nameOrFile, BUILTIN, "recipes"));
  }

  public static Recipe read(Path file) {
    return of(FORM.read(file));
  }

  private static Recipe of(StagedYaml.Parsed<Stage> parsed) {
    return new Recipe(parsed.name(), parsed.seed(), parsed.stages());
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
