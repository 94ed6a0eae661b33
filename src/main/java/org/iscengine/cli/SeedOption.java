package org.iscengine.cli;

import picocli.CommandLine;

/** The {@code --seed} option of the dataset builders (a picocli mixin). */
final class SeedOption {
  @CommandLine.Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;
}
