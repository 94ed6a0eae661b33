package org.iscengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class IscCliTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return IscCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  void infoReportsTheNativeLibrariesAsJson() throws Exception {
    assertEquals(0, run("info", "--json"), err::toString);
    JsonNode report = new ObjectMapper().readTree(out.toString());
    assertTrue(report.at("/cpuKernels/loaded").asBoolean(), out::toString);
    assertTrue(report.at("/cpuKernels/threads").asInt() >= 1);
    assertTrue(report.at("/libtorch/version").asText().startsWith("2."), out::toString);
    assertTrue(report.at("/defaultDevice").asText().startsWith("c"), out::toString);
    assertTrue(report.has("cudaKernels"));
  }

  @Test
  void infoInPlainText() {
    assertEquals(0, run("info"), err::toString);
    assertTrue(out.toString().contains("CPU kernels   libisc_cpu"), out::toString);
    assertTrue(out.toString().contains("CUDA devices") || out.toString().contains("CUDA device "), out::toString);
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertEquals(2, run("no-such-command"));
    assertTrue(err.toString().contains("no-such-command"), err::toString);
    assertEquals(2, run());
    assertEquals(2, run("info", "--no-such-option"));
  }

  @Test
  void helpAndVersionExitWithZero() {
    assertEquals(0, run("--help"));
    assertTrue(out.toString().contains("info"));
    assertEquals(0, run("--version"));
    assertTrue(out.toString().contains("isc-engine"));
  }
}
