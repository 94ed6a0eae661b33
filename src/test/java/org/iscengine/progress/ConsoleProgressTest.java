package org.iscengine.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Redirected to a log (no console, as under the test runner), progress is whole lines, each once. */
class ConsoleProgressTest {
  @Test
  void redirectedProgressIsLinesWithoutCarriageReturnsOrRepeats() {
    assertEquals(null, System.console(), "this test needs standard streams that are not a terminal");
    PrintStream saved = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      try (Progress bar = ConsoleProgress.factory("img").start("describing", 7)) {
        for (int i = 0; i < 7; i++) {
          bar.step();
        }
      }
    } finally {
      System.setErr(saved);
    }
    String log = captured.toString(StandardCharsets.UTF_8);
    assertFalse(log.contains("\r"), log);
    List<String> lines = log.lines().filter(l -> !l.isBlank()).toList();
    assertFalse(lines.isEmpty(), "nothing printed");
    String last = lines.get(lines.size() - 1);
    assertTrue(last.startsWith("describing") && last.contains("100%") && last.contains("7/7 img"), last);
    for (int i = 1; i < lines.size(); i++) {
      assertFalse(lines.get(i).equals(lines.get(i - 1)), "repeated line: " + lines.get(i));
    }
  }
}
