package org.iscengine.model.keras;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.io.Commands;
import org.iscengine.io.IscCache;
import org.iscengine.model.Architecture;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.MobileNetV2;
import org.iscengine.model.ModelConfig;
import org.iscengine.model.Pretrained;
import org.iscengine.model.StateDicts;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.RawFloats;
import org.iscengine.testing.TensorAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our MobileNetV2 with nsfwjs's imported weights computes what TensorFlow.js computes with the
 * same bundle: the output of a stride-2 block (where padding mistakes show) and of out_relu, on
 * a fresh random input. Skipped, with the reason, only where node, npm or the npm registry is
 * missing.
 */
class MobileNetV2TfjsReferenceTest {
  private static final String TFJS = "4.22.0";
  private static final int N = 2;
  private static final int SIZE = 224;
  private static final List<String> LAYERS = List.of("block_3_project_BN", "block_6_project_BN", "out_relu");

  private final long seed = RandomTensors.freshSeed();

  @Test
  void importedMobileNetV2MatchesTensorFlowJs(@TempDir Path dir) throws IOException {
    assumeTrue(works(List.of("node", "--version"), dir), "node is not installed (toolchain/bootstrap installs it)");
    assumeTrue(works(List.of("npm", "--version"), dir), "npm is not installed (toolchain/bootstrap installs it)");
    Path bundle;
    try {
      bundle = Nsfwjs.modelFile("mobilenet_v2");
    } catch (IllegalStateException e) {
      assumeTrue(!e.getMessage().contains("registry"), "the npm registry is not reachable: " + e.getMessage());
      throw e;
    }
    Path modules = tfjs(dir);

    TfjsLayersModel keras = TfjsLayersModel.read(bundle);
    try (MobileNetV2 net = new MobileNetV2();
        NoGradGuard noGrad = new NoGradGuard()) {
      Map<String, Tensor> state = KerasStateDict.upTo(keras, "out_relu");
      try {
        StateDicts.LoadReport report = StateDicts.load(net, state, false);
        assertEquals(260, report.loaded(), report.describe());
      } finally {
        state.values().forEach(Tensor::close);
      }
      net.eval();
      // Keras's own input range: x / 127.5 - 1.
      try (Tensor nchw = RandomTensors.uniform(seed, -1, 1, N, 3, SIZE, SIZE);
          Tensor nhwc = nchw.permute(0, 2, 3, 1).contiguous()) {
        Path input = dir.resolve("input.f32");
        Files.write(input, bytes(TensorAssert.values(nhwc)));
        List<String> command = new ArrayList<>(List.of("node", script(dir).toString(), modules.toString(),
            bundle.getParent().toString(), input.toString(), "" + N, "" + SIZE, "" + SIZE, dir.toString()));
        command.addAll(LAYERS);
        Commands.Result result = Commands.run(command, dir, "node tfjs_reference.js", "node", Duration.ofMinutes(5));
        assertEquals(0, result.exitCode(), result.output());
        for (String layer : LAYERS) {
          long[] shape = Arrays.stream(Files.readString(dir.resolve(layer + ".shape")).trim().split(" "))
              .mapToLong(Long::parseLong).toArray();
          float[] expected = RawFloats.floats(Files.readAllBytes(dir.resolve(layer + ".f32")));
          try (Tensor out = net.featuresThrough(nchw, layer);
              Tensor ours = out.permute(0, 2, 3, 1).contiguous()) {
            assertArrayEquals(shape, TensorAssert.shape(ours), layer + ": NHWC shape");
            double[] actual = TensorAssert.values(ours);
            double scale = 0;
            double diff = 0;
            for (int i = 0; i < expected.length; i++) {
              scale = Math.max(scale, Math.abs(expected[i]));
              diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
            }
            System.out.printf("%s %s: max |ours - tfjs| / max |tfjs| = %.3g (scale %.3g)%n", layer,
                Arrays.toString(shape), diff / scale, scale);
            assertTrue(scale > 0.1, layer + ": reference output is nearly zero (" + scale + ")");
            assertTrue(diff / scale <= 1e-4, layer + ": max |ours - tfjs| = " + diff + " against a scale of " + scale
                + " (seed " + seed + ")");
          }
        }
      }
    }
  }

  @Test
  void pretrainedDescriptorModelLoadsTheWholeBackbone() {
    assumeTrue(works(List.of("npm", "--version"), Path.of(".")), "npm is not installed");
    ModelConfig config = ModelConfig.winner(Architecture.MOBILENETV2.id(), 64);
    assertArrayEquals(new double[] {0.5, 0.5, 0.5}, config.mean());
    try (DescriptorModel model = new DescriptorModel(config)) {
      try {
        Pretrained.NSFWJS_MOBILENET_V2.load(model);
      } catch (IllegalStateException e) {
        assumeTrue(!e.getMessage().contains("registry"), "the npm registry is not reachable: " + e.getMessage());
        throw e;
      }
      Map<String, Tensor> state = StateDicts.of((Module) model.backbone());
      try (Tensor gamma = state.get("Conv_1_bn.weight")) {
        // nsfwjs's Conv_1_bn gamma is quantised with min 4.058: a random start would be all ones.
        assertTrue(gamma.min().item_double() > 4.0, "Conv_1_bn.weight not loaded");
      } finally {
        state.values().forEach(Tensor::close);
      }
    }
  }

  /** @tensorflow/tfjs installed once into the cache (no package scripts run). */
  private static Path tfjs(Path dir) {
    Path prefix = IscCache.root().resolve("npm").resolve("tfjs-" + TFJS);
    Path modules = prefix.resolve("node_modules");
    if (Files.isRegularFile(modules.resolve("@tensorflow/tfjs/package.json"))) {
      return modules;
    }
    Commands.Result result = Commands.run(List.of("npm", "install", "--prefix", prefix.toString(),
        "@tensorflow/tfjs@" + TFJS, "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"), dir,
        "npm install @tensorflow/tfjs", "npm", Duration.ofMinutes(10));
    assumeTrue(result.ok(), "npm install @tensorflow/tfjs@" + TFJS + " failed (registry unreachable?): "
        + result.output());
    return modules;
  }

  private static Path script(Path dir) throws IOException {
    Path script = dir.resolve("tfjs_reference.js");
    try (var in = MobileNetV2TfjsReferenceTest.class.getResourceAsStream("/model/keras/tfjs_reference.js")) {
      Files.copy(in, script);
    }
    return script;
  }

  private static boolean works(List<String> command, Path dir) {
    try {
      return Commands.run(command, dir, String.join(" ", command), "", Duration.ofMinutes(1)).ok();
    } catch (IllegalStateException e) {
      return false;
    }
  }

  private static byte[] bytes(double[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : values) {
      b.putFloat((float) v);
    }
    return b.array();
  }
}
