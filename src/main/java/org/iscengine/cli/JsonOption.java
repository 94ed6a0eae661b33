package org.iscengine.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** The {@code --json} option (a picocli mixin): a command's result printed as JSON, or as text. */
final class JsonOption {
  private static final ObjectMapper LINE = new ObjectMapper();
  private static final ObjectMapper INDENTED = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  /** With --json the value as one JSON line, else what {@code text} prints; then flushes. */
  void print(PrintWriter out, Object value, Runnable text) throws JsonProcessingException {
    print(out, value, text, LINE);
  }

  /** As {@link #print}, the JSON indented (a report read by people too). */
  void printIndented(PrintWriter out, Object value, Runnable text) throws JsonProcessingException {
    print(out, value, text, INDENTED);
  }

  private void print(PrintWriter out, Object value, Runnable text, ObjectMapper mapper) throws JsonProcessingException {
    if (json) {
      out.println(mapper.writeValueAsString(value));
    } else {
      text.run();
    }
    out.flush();
  }
}
