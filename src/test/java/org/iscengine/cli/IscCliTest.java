package org.iscengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.Images;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  @Test
  void dataNeedsASubcommandAndMiniDiscNeedsAPhotoLibrary(@TempDir Path dir) {
    assertEquals(2, run("data"));
    assertEquals(1, run("data", "mini-disc", "--photos", dir.resolve("none").toString(), "--out",
        dir.resolve("disc").toString()));
    assertTrue(err.toString().contains("isc data photos"), err::toString);
    assertFalse(Files.exists(dir.resolve("disc")));
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
        "--copies", "2", "--size", "48", "--preset", "moderate", "--threads", "2"), err::toString);
    assertTrue(out.toString().contains("3 classes x 2 images"), out::toString);
    for (int c = 0; c < 3; c++) {
      assertTrue(Files.isRegularFile(set.resolve(String.format("%06d/01.jpg", c))));
    }
    assertEquals(1, run("data", "train-set", "--images", dir.resolve("nothing").toString(), "--out", set.toString()));
    assertTrue(err.toString().contains("is not a folder"), err::toString);
    assertEquals(1, run("data", "train-set", "--images", dir.resolve("images").toString(), "--out",
        set.toString(), "--threads", "0"));
    assertTrue(err.toString().contains("--threads must be >= 1"), err::toString);
  }
}
