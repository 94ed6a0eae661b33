package org.iscengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.image.Images;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;

/** isc model convert, isc model info and isc extract, end to end on a small model. */
class ModelExtractCommandsTest extends CommandTest {
  @Test
  void convertInspectAndExtract() throws Exception {
    assertEquals(0, cli.run("model", "convert", "--model", "resnet18", "--random", "--seed", "5", "--input-size", "64",
        "--dim", "32", "--out", path("small.iscm")), cli.err());
    assertEquals(0, cli.run("model", "info", path("small.iscm"), "--json"), cli.err());
    JsonNode info = new ObjectMapper().readTree(cli.out());
    assertEquals("isc_model", info.get("kind").asText());
    assertEquals("resnet18", info.get("architecture").asText());
    assertEquals(64, info.get("inputSize").asInt());
    assertEquals(32, info.get("dimension").asInt());
    // torchvision's ResNet-18 without its classifier (11,176,512), plus fc 512x32 and bn 2x32.
    assertEquals(11_176_512 + 512 * 32 + 64, info.get("parameters").asLong());
    assertTrue(info.get("source").asText().contains("seed 5"), info.toString());

    Path images = Files.createDirectories(dir.resolve("images"));
    long seed = RandomTensors.freshSeed();
    for (int i = 0; i < 3; i++) {
      try (Mat m = TestImages.natural(seed + i, 50 + i, 41)) {
        Images.write(images.resolve("p" + i + ".png"), m, 95);
      }
    }
    Files.writeString(images.resolve("notes.jpg"), "not an image");
    assertEquals(0, cli.run("extract", "--model", path("small.iscm"), "--images", images.toString(), "--out",
        path("d.h5"), "--batch", "2", "--json"), cli.err());
    JsonNode summary = new ObjectMapper().readTree(cli.out());
    assertEquals(3, summary.get("described").asInt());
    assertEquals(1, summary.get("failed").asInt());
    assertTrue(cli.err().contains("notes.jpg"), cli.err());
    String failures = Files.readString(dir.resolve("d.h5.failures.txt"));
    assertTrue(failures.startsWith(images.resolve("notes.jpg").toString() + "\t"), failures);
    try (Descriptors d = DescriptorFiles.read(dir.resolve("d.h5"))) {
      assertEquals(List.of("p0", "p1", "p2"), d.ids());
      assertEquals(32, d.dim());
    }
  }

  @Test
  void mistakesGetClearMessages() throws Exception {
    assertEquals(2, cli.run("model", "convert", "--model", "resnet18", "--out", path("x.iscm")));
    assertTrue(cli.err().contains("--random"), cli.err());
    assertFalse(Files.exists(dir.resolve("x.iscm")));

    assertNotEquals(0, cli.run("model", "info", path("missing.pth")));
    assertTrue(cli.err().contains("missing.pth: no such file"), cli.err());

    Files.writeString(dir.resolve("garbage.pth"), "definitely not a checkpoint");
    assertNotEquals(0, cli.run("model", "info", path("garbage.pth")));
    assertTrue(cli.err().contains("garbage.pth"), cli.err());

    assertNotEquals(0, cli.run("model", "convert", "--model", "resnet51", "--random", "--out", path("y.iscm")));
    assertTrue(cli.err().contains("resnet51"), cli.err());

    Path images = Files.createDirectories(dir.resolve("images"));
    try (Mat m = TestImages.natural(RandomTensors.freshSeed(), 40, 40)) {
      Images.write(images.resolve("a.png"), m, 95);
    }
    assertEquals(2, cli.run("extract", "--model", "resnet18", "--images", images.toString(), "--out", path("o.h5"),
        "--precision", "fp8"));
    assertTrue(cli.err().contains("--precision"), cli.err());
    assertEquals(2, cli.run("extract", "--model", "resnet18", "--images", images.toString(), "--out", path("o.h5"),
        "--workers", "0"));
    assertTrue(cli.err().contains("--workers must be >= 1, got 0"), cli.err());
    assertNotEquals(0, cli.run("extract", "--model", "resnet18", "--images", path("nowhere"), "--out", path("o.h5")));
    assertTrue(cli.err().contains("nowhere"), cli.err());
    assertFalse(Files.exists(dir.resolve("o.h5")));

    Files.writeString(dir.resolve("list.txt"), images.resolve("a.png") + "\n");
    assertEquals(1, cli.run("extract", "--model", "resnet18", "--images", path("list.txt"), "--out", path("list.txt")));
    assertTrue(cli.err().contains("--out") && cli.err().contains("--images"), cli.err());
    assertEquals(images.resolve("a.png") + "\n", Files.readString(dir.resolve("list.txt")));
    assertEquals(1, cli.run("model", "convert", "--model", "resnet18", "--weights", path("garbage.pth"), "--out",
        path("garbage.pth")));
    assertTrue(cli.err().contains("--out") && cli.err().contains("--weights"), cli.err());
    assertEquals("definitely not a checkpoint", Files.readString(dir.resolve("garbage.pth")));
  }

  /** ResNet-50's strided 1x1 convolutions are those that killed the JVM where oneDNN misreads the caches. */
  @Test
  void resnet50Extracts() throws Exception {
    Path images = Files.createDirectories(dir.resolve("images"));
    long seed = RandomTensors.freshSeed();
    for (int i = 0; i < 2; i++) {
      try (Mat m = TestImages.natural(seed + i, 90 + i, 70)) {
        Images.write(images.resolve("r" + i + ".png"), m, 95);
      }
    }
    assertEquals(0, cli.run("extract", "--model", "resnet50", "--images", images.toString(), "--out", path("r.h5"),
        "--json"), cli.err());
    assertEquals(2, new ObjectMapper().readTree(cli.out()).get("described").asInt());
  }

  /**
   * Where no configuration computes convolutions right (faults injected into every trial of the
   * check), extraction refuses with the reason, and writes nothing.
   */
  @Test
  void extractionRefusesWhenTheConvolutionCheckFails() throws Exception {
    Path images = Files.createDirectories(dir.resolve("images"));
    try (Mat m = TestImages.natural(RandomTensors.freshSeed(), 40, 40)) {
      Images.write(images.resolve("a.png"), m, 95);
    }
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Disc.convolutionCheck.faults=*=wrong", "-cp", System.getProperty("java.class.path"),
        IscCli.class.getName(), "extract", "--model", "resnet18", "--images", images.toString(), "--out",
        path("o.h5")).redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
    builder.environment().put("ISC_CACHE", dir.resolve("cache").toString());
    Process child = builder.start();
    assertTrue(child.waitFor(5, TimeUnit.MINUTES));
    String err = Files.readString(dir.resolve("err.txt"));
    assertEquals(1, child.exitValue(), err);
    assertTrue(err.contains("computes convolutions wrongly on this machine") && err.contains("isc info"), err);
    assertFalse(Files.exists(dir.resolve("o.h5")));
    try (var checks = Files.list(dir.resolve("cache").resolve("checks"))) {
      assertEquals(1, checks.filter(p -> p.getFileName().toString().startsWith("convolutions-")).count());
    }
  }
}
