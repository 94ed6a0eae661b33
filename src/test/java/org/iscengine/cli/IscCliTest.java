package org.iscengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.Images;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IscCliTest {
  private final CliRunner cli = new CliRunner();

  private int run(String... args) {
    return cli.run(args);
  }

  @Test
  void infoReportsTheNativeLibrariesAsJson() throws Exception {
    assertEquals(0, run("info", "--json"), cli::err);
    JsonNode report = new ObjectMapper().readTree(cli.out());
    assertTrue(report.at("/cpuKernels/loaded").asBoolean(), cli::out);
    assertTrue(report.at("/cpuKernels/threads").asInt() >= 1);
    assertTrue(report.at("/libtorch/version").asText().startsWith("2."), cli::out);
    assertTrue(report.at("/defaultDevice").asText().startsWith("c"), cli::out);
    assertTrue(report.has("cudaKernels"));
  }

  @Test
  void infoInPlainText() {
    assertEquals(0, run("info"), cli::err);
    assertTrue(cli.out().contains("CPU kernels   libisc_cpu"), cli::out);
    assertTrue(cli.out().contains("CUDA devices") || cli.out().contains("CUDA device "), cli::out);
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertEquals(2, run("no-such-command"));
    assertTrue(cli.err().contains("no-such-command"), cli::err);
    assertEquals(2, run());
    assertEquals(2, run("info", "--no-such-option"));
  }

  @Test
  void verboseAddsTheStackTraceWhereverItIsGiven(@TempDir Path dir) {
    String[] failing = {"data", "train-set", "--images", dir.resolve("nothing").toString(), "--out",
        dir.resolve("set").toString()};
    assertEquals(1, run(failing));
    assertTrue(cli.err().contains("is not a folder"), cli::err);
    assertFalse(cli.err().contains("\tat org.iscengine"), cli::err);
    String[] verbose = new String[failing.length + 1];
    verbose[0] = "--verbose";
    System.arraycopy(failing, 0, verbose, 1, failing.length);
    assertEquals(1, run(verbose));
    assertTrue(cli.err().contains("is not a folder") && cli.err().contains("\tat org.iscengine"), cli::err);
    assertEquals(1, run("data", "train-set", "--verbose", "--images", dir.resolve("nothing").toString(), "--out",
        dir.resolve("set").toString()));
    assertTrue(cli.err().contains("\tat org.iscengine"), cli::err);
  }

  @Test
  void bashCompletesCommandsSubcommandsAndOptions(@TempDir Path dir) throws Exception {
    assertEquals(0, run("generate-completion"), cli::err);
    Path script = Files.writeString(dir.resolve("isc_completion"), cli.out());
    assertEquals(List.of("serve"), complete(script, "isc", "se"));
    assertEquals(List.of("convert"), complete(script, "isc", "model", "conv"));
    assertTrue(complete(script, "isc", "serve", "--thr").containsAll(List.of("--threshold", "--threads")));
  }

  /** The words bash offers for the last of these words, with the completion script sourced. */
  private static List<String> complete(Path script, String... words) throws Exception {
    String line = "source '" + script + "'; COMP_WORDS=(" + String.join(" ", words) + "); COMP_CWORD="
        + (words.length - 1) + "; COMP_LINE='" + String.join(" ", words) + "'; COMP_POINT=${#COMP_LINE}; "
        + "_complete_isc; printf '%s\\n' \"${COMPREPLY[@]}\"";
    Process bash = new ProcessBuilder("bash", "-c", line).redirectErrorStream(true).start();
    String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, bash.waitFor(), out);
    return out.lines().map(String::strip).filter(w -> !w.isEmpty()).sorted().toList();
  }

  @Test
  void classTrainingNamesWhatItLacks(@TempDir Path dir) throws Exception {
    assertEquals(1, run("train-classes", "--classes", dir.resolve("none").toString(), "--out", dir.resolve("run")
        .toString()));
    assertTrue(cli.err().contains("isc data train-set"), cli::err);
    Files.createDirectories(dir.resolve("one/00000"));
    Files.write(dir.resolve("one/00000/00.jpg"), new byte[] {1});
    assertEquals(1, run("train-classes", "--classes", dir.resolve("one").toString(), "--out", dir.resolve("run")
        .toString()));
    assertTrue(cli.err().contains("at least 2"), cli::err);
    assertEquals(1, run("train-classes", "--recipe", "no-such", "--classes", dir.toString(), "--out",
        dir.resolve("run").toString()));
    assertTrue(cli.err().contains("d2lv-mini"), cli::err);
  }

  @Test
  void helpAndVersionExitWithZero() {
    assertEquals(0, run("--help"));
    assertTrue(cli.out().contains("info"));
    assertEquals(0, run("--version"));
    assertTrue(cli.out().contains("isc-engine"));
  }

  @Test
  void dataNeedsASubcommandAndMiniDiscNeedsAPhotoLibrary(@TempDir Path dir) {
    assertEquals(2, run("data"));
    assertEquals(1, run("data", "mini-disc", "--photos", dir.resolve("none").toString(), "--out",
        dir.resolve("disc").toString()));
    assertTrue(cli.err().contains("isc data photos"), cli::err);
    assertFalse(Files.exists(dir.resolve("disc")));
    assertEquals(2, run("data", "mini-disc", "--photos", dir.resolve("none").toString(), "--out",
        dir.resolve("disc").toString(), "--split", "tset"));
    assertTrue(cli.err().contains("--split") && cli.err().contains("[TEST, VALIDATION]"), cli::err);
  }

  @Test
  void trainSetBuildsClassFoldersFromAnImageFolder(@TempDir Path dir) throws Exception {
    for (int i = 0; i < 3; i++) {
      try (Mat image = TestImages.natural(i, 120, 90)) {
        Images.write(dir.resolve("images/sub/" + i + ".jpg"), image, 90);
      }
    }
    Path set = dir.resolve("set");
    assertEquals(0, run("data", "train-set", "--images", dir.resolve("images").toString(), "--out", set.toString(),
        "--copies", "2", "--size", "48", "--preset", "moderate", "--threads", "2"), cli::err);
    assertTrue(cli.out().contains("3 classes x 2 images"), cli::out);
    for (int c = 0; c < 3; c++) {
      assertTrue(Files.isRegularFile(set.resolve(String.format("%06d/01.jpg", c))));
    }
    assertEquals(1, run("data", "train-set", "--images", dir.resolve("nothing").toString(), "--out", set.toString()));
    assertTrue(cli.err().contains("is not a folder"), cli::err);
    assertEquals(2, run("data", "train-set", "--images", dir.resolve("images").toString(), "--out",
        set.toString(), "--threads", "0"), "a usage error");
    assertTrue(cli.err().contains("--threads must be >= 1"), cli::err);
  }
}
