package org.iscengine.train;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An InsCLR recipe: stages run in order, each from the previous one's weights and candidate pools
 * from the previous one's descriptors. The YAML form of {@link Recipe} ({@code name}, {@code seed},
 * {@code defaults}, {@code stages}) with {@link InsClrStage}'s keys. Built-in: {@code base} (the
 * GLDv2 base configuration's three stages), {@code impr} (those three, then the impr stage),
 * {@code insclr-mini} (two short stages on a 2-core CPU) and {@code insclr-tiny} (seconds, for
 * tests and smoke runs).
 */
public record InsClrRecipe(String name, long seed, List<InsClrStage> stages) {
  public static final List<String> BUILTIN = List.of("base", "impr", "insclr-mini", "insclr-tiny");
  private static final StagedYaml<InsClrStage> FORM = new StagedYaml<>(InsClrStage.class, InsClrStage.OPTIONAL,
      "InsCLR recipe");

  public InsClrRecipe {
    if (stages == null || stages.isEmpty()) {
      throw new IllegalArgumentException("InsCLR recipe " + name + " has no stages");
    }
    Set<String> names = new HashSet<>();
    for (InsClrStage s : stages) {
      if (!names.add(s.name())) {
        throw new IllegalArgumentException("InsCLR recipe " + name + ": two stages are called " + s.name());
      }
    }
    stages = List.copyOf(stages);
  }

  /** A built-in recipe by name, or a YAML file. */
  public static InsClrRecipe named(String nameOrFile) {
    return of(FORM.named(nameOrFile, BUILTIN, "insclr"));
  }

  public static InsClrRecipe read(Path file) {
    return of(FORM.read(file));
  }

  private static InsClrRecipe of(StagedYaml.Parsed<InsClrStage> parsed) {
    return new InsClrRecipe(parsed.name(), parsed.seed(), parsed.stages());
  }

  /** The seed of stage index: its initial head, shuffles and augmentations derive from it. */
  public long stageSeed(int index) {
    return seed * 1_000_003L + index;
  }
}
