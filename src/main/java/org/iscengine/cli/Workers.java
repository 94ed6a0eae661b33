package org.iscengine.cli;

import picocli.CommandLine;

/** The worker count of the building commands (a picocli mixin). */
final class Workers {
  @CommandLine.Option(names = "--threads", description = "Worker threads (default: all processors).")
  Integer threads;

  int count() {
    if (threads != null && threads < 1) {
      throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
    }
    return threads != null ? threads : Runtime.getRuntime().availableProcessors();
  }
}
