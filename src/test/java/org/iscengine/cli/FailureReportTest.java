package org.iscengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import org.iscengine.errors.IscException;
import org.junit.jupiter.api.Test;

class FailureReportTest {
  private final StringWriter err = new StringWriter();

  private int print(Throwable failure, boolean verbose) {
    return FailureReport.print(failure, "isc x", verbose, new PrintWriter(err));
  }

  @Test
  void theCauseChainIsPrintedEachMessageOnce() {
    IOException disk = new IOException("No space left on device");
    Throwable failure = new IscException(IscException.Kind.UNAVAILABLE, "cannot write model.isc",
        new UncheckedIOException("writing model.isc: No space left on device", disk));
    assertEquals(List.of("cannot write model.isc", "writing model.isc: No space left on device"),
        FailureReport.causes(failure));
    assertEquals(FailureReport.FAILED, print(failure, false));
    assertEquals("isc x: cannot write model.isc\n  caused by: writing model.isc: No space left on device\n",
        err.toString().replace(System.lineSeparator(), "\n"));
  }

  @Test
  void aCauseWithoutAMessageIsNamedByItsType() {
    Throwable failure = new IllegalArgumentException("bad model file", new IllegalStateException());
    assertEquals(List.of("bad model file", "java.lang.IllegalStateException"), FailureReport.causes(failure));
  }

  @Test
  void verbosePrintsTheStackTrace() {
    assertEquals(FailureReport.FAILED, print(new IllegalArgumentException("k must be >= 1"), true));
    assertTrue(err.toString().contains("isc x: k must be >= 1"), err.toString());
    assertTrue(err.toString().contains("\tat org.iscengine.cli.FailureReportTest"), err.toString());
  }

  @Test
  void anInternalErrorAlwaysShowsItsStackTraceAndExitsWithThree() {
    assertEquals(FailureReport.INTERNAL, print(new NullPointerException(), false));
    String text = err.toString();
    assertTrue(text.startsWith("isc x: internal error: java.lang.NullPointerException"), text);
    assertTrue(text.contains("\tat org.iscengine.cli.FailureReportTest"), text);
    assertTrue(text.contains("a bug"), text);
  }

  @Test
  void inputFailuresShowNoStackTraceUnlessAsked() {
    assertEquals(FailureReport.FAILED, print(new IscException(IscException.Kind.CORRUPT_DATA, "x.h5: truncated"),
        false));
    assertFalse(err.toString().contains("\tat "), err.toString());
  }
}
