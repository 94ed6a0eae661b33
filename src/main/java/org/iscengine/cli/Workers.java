package org.iscengine.cli;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;

/** What the building commands share (a picocli mixin): the worker count and how failed items are reported. */
final class Workers {
  @CommandLine.Option(names = "--threads", description = "Worker threads (default: all processors).")
  Integer threads;

  int count() {
    if (threads != null && threads < 1) {
      throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
    }
    return threads != null ? threads : Runtime.getRuntime().availableProcessors();
  }

  /** Lists the failed items on stderr; exit code 1 when there are any (re-running fills them in). */
  static int reportFailures(CommandLine.Model.CommandSpec spec, List<String> failures) {
    if (failures.isEmpty()) {
      return 0;
    }
    PrintWriter err = spec.commandLine().getErr();
    err.printf("%d items failed (run the same command again to retry them):%n", failures.size());
    failures.stream().limit(50).forEach(f -> err.println("  " + f));
    if (failures.size() > 50) {
      err.printf("  ... and %d more%n", failures.size() - 50);
    }
    err.flush();
    return 1;
  }
}
