package org.iscengine.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.iscengine.errors.IscException;

/**
 * The one place where a failed command becomes what the user reads and the exit code: the chain of
 * causes, each message once, and the stack trace when asked for ({@code --verbose}) or when the
 * failure is a bug.
 */
final class FailureReport {
  /** The command failed on its input, its data or its environment; the message says what to change. */
  static final int FAILED = 1;
  /** A bug: the stack trace is printed, for a report. */
  static final int INTERNAL = 3;

  private FailureReport() {}

  /** Prints the failure of {@code isc command} and returns the exit code. */
  static int print(Throwable failure, String command, boolean verbose, PrintWriter err) {
    boolean internal = IscException.Kind.of(failure) == IscException.Kind.INTERNAL;
    List<String> lines = causes(failure);
    err.println(command + ": " + (internal ? "internal error: " : "") + lines.get(0));
    for (String line : lines.subList(1, lines.size())) {
      err.println("  caused by: " + line);
    }
    if (internal || verbose) {
      failure.printStackTrace(err);
    }
    if (internal && !verbose) {
      err.println("This is a bug in isc-engine; please report it with the text above.");
    }
    err.flush();
    return internal ? INTERNAL : FAILED;
  }

  /**
   * One line per cause, outermost first: its message, or its type when it has none. A message
   * already said by an outer one (wrappers often repeat their cause's) is left out.
   */
  static List<String> causes(Throwable failure) {
    List<String> lines = new ArrayList<>();
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
      String line = t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getName() : t.getMessage();
      if (lines.stream().noneMatch(outer -> outer.contains(line))) {
        lines.add(line);
      }
    }
    return lines;
  }
}
