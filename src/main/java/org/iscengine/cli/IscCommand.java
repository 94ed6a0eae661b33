package org.iscengine.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/**
 * What every {@code isc} command that does work shares: picocli's view of the command, its
 * output streams, usage errors that picocli answers with exit code 2, and how failed items are
 * reported.
 */
abstract class IscCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Standard output as the command line was given it (tests capture it). */
  final PrintWriter out() {
    return spec.commandLine().getOut();
  }

  final PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** A usage error naming the option at fault: picocli prints it with the usage and exits 2. */
  final CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  /** Lists the failed items on stderr; exit code 1 when there are any (re-running fills them in). */
  final int reportFailures(List<String> failures) {
    if (failures.isEmpty()) {
      return 0;
    }
    PrintWriter err = err();
    err.printf("%d items failed (run the same command again to retry them):%n", failures.size());
    failures.stream().limit(50).forEach(f -> err.println("  " + f));
    if (failures.size() > 50) {
      err.printf("  ... and %d more%n", failures.size() - 50);
    }
    err.flush();
    return 1;
  }
}
