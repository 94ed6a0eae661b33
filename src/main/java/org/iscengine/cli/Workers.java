package org.iscengine.cli;

import picocli.CommandLine;

/** The worker count of the building commands (a picocli mixin). */
final class Workers extends ThreadCount {
  @CommandLine.Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: all processors).")
  void threads(int n) {
    given("--threads", n);
  }
}
