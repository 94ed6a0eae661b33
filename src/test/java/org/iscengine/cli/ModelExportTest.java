package org.iscengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.kernels.HostTensors;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelConfig;
import org.iscengine.model.ModelFile;
import org.iscengine.model.StateDicts;
import org.iscengine.testing.PyTorchFixtures;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.RawFloats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** isc model export --format pytorch: read back by real PyTorch, and by isc model convert. */
class ModelExportTest {
  @TempDir Path dir;
  private final CliRunner cli = new CliRunner();

  @Test
  void pytorchLoadsTheExportStrictlyAndDescribesAsWeDo() throws Exception {
    long seed = RandomTensors.freshSeed();
    ModelConfig config = new ModelConfig("resnet18", "fc-bn", 24, 3.0, true, 64, ModelConfig.IMAGENET_MEAN,
        ModelConfig.IMAGENET_STD);
    Path model = dir.resolve("model.iscm");
    Path pth = dir.resolve("model.pth");
    float[] ours;
    Tensor images = RandomTensors.uniform(seed, -2, 2, 3, 3, 64, 80);
    try (DescriptorModel m = new DescriptorModel(config)) {
      randomizeBatchNormStatistics(m, seed + 1);
      ModelFile.save(model, m, "test");
      try (Tensor d = m.describe(images)) {
        ours = HostTensors.toArray(d);
      }
    }
    assertEquals(0, cli.run("model", "export", "--format", "pytorch", model.toString(), pth.toString(), "--json"),
        cli::err);
    JsonNode result = new ObjectMapper().readTree(cli.out());
    assertTrue(result.get("python").asText().contains("learnable_p=True"), cli.out());

    assumeTrue(PyTorchFixtures.available(), "needs /usr/bin/python3 with torch and torchvision (toolchain/bootstrap)");
    Path input = dir.resolve("x.f32");
    Path output = dir.resolve("y.f32");
    Files.write(input, RawFloats.bytes(HostTensors.toArray(images)));
    python(Path.of("python/iscnet.py").toString(), pth.toString(), "--architecture", "resnet18", "--head", "fc-bn",
        "--dimension", "24", "--gem-p", "3", "--learnable-p", "--input", input.toString(), "--shape", "3,3,64,80",
        "--output", output.toString());
    float[] theirs = RawFloats.floats(Files.readAllBytes(output));
    assertEquals(ours.length, theirs.length);
    for (int i = 0; i < ours.length; i++) {
      assertEquals(ours[i], theirs[i], 1e-4, "element " + i);
    }

    // Round trip: the export converted back describes exactly as the model it came from.
    Path back = dir.resolve("back.iscm");
    assertEquals(0, cli.run("model", "convert", "--model", "resnet18", "--weights", pth.toString(), "--head", "fc-bn",
        "--dim", "24", "--gem-p", "3", "--learnable-p", "--input-size", "64", "--out", back.toString()), cli::err);
    try (DescriptorModel m = ModelFile.load(back);
        Tensor d = m.describe(images)) {
      float[] again = HostTensors.toArray(d);
      for (int i = 0; i < ours.length; i++) {
        assertEquals(ours[i], again[i], 1e-6, "element " + i);
      }
    }
    images.close();
  }

  @Test
  void exportTakesAnIscModelFileAndRefusesToOverwriteIt() throws Exception {
    Path model = dir.resolve("model.iscm");
    try (DescriptorModel m = new DescriptorModel(new ModelConfig("resnet18", "none", 0, 1.0, false, 64,
        ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD))) {
      ModelFile.save(model, m, "test");
    }
    byte[] before = Files.readAllBytes(model);
    assertEquals(1, cli.run("model", "export", "--format", "pytorch", model.toString(), model.toString()));
    assertTrue(cli.err().contains("refusing to overwrite"), cli::err);
    assertEquals(before.length, Files.readAllBytes(model).length);
    Files.writeString(dir.resolve("notes.txt"), "not a model");
    assertEquals(1, cli.run("model", "export", "--format", "pytorch", dir.resolve("notes.txt").toString(),
        dir.resolve("out.pth").toString()));
    assertTrue(cli.err().contains("not an isc model file"), cli::err);
    assertEquals(2, cli.run("model", "export", "--format", "onnx", model.toString(), dir.resolve("o.pth").toString()));
  }

  /** Running means and variances away from PyTorch's initial 0 and 1, so that they are checked too. */
  private static void randomizeBatchNormStatistics(DescriptorModel m, long seed) {
    Map<String, Tensor> state = StateDicts.of(m);
    try (NoGradGuard noGrad = new NoGradGuard()) {
      long s = seed;
      for (Map.Entry<String, Tensor> e : state.entrySet()) {
        boolean mean = e.getKey().endsWith("running_mean");
        if (mean || e.getKey().endsWith("running_var")) {
          try (Tensor r = RandomTensors.uniform(s++, mean ? -0.5 : 0.5, mean ? 0.5 : 2.0, e.getValue().shape())) {
            e.getValue().copy_(r);
          }
        }
      }
    } finally {
      state.values().forEach(Tensor::close);
    }
  }

  private static void python(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("/usr/bin/python3"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES) && p.exitValue() == 0, out);
  }
}
