package org.iscengine.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs isc commands in this JVM, keeping what the last one printed. */
final class CliRunner {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  /** The exit code of {@code isc args...}. */
  int run(String... args) {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    return IscCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  String out() {
    return out.toString();
  }

  String err() {
    return err.toString();
  }
}
