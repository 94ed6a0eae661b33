package org.iscengine.model.keras;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.errors.IscException;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading TF.js layers bundles: dequantisation of every supported encoding, the Keras-to-PyTorch
 * layouts, and clear refusals of truncated, corrupt or mismatched files. The bundles are written
 * here in the minified shape npm packages ship (unquoted keys, !0 / !1, base64 shard strings).
 */
class TfjsLayersModelTest {
  private static final IscException.Kind CORRUPT = IscException.Kind.CORRUPT_DATA;

  private final long seed = RandomTensors.freshSeed();
  private final Random random = new Random(seed);

  // conv: Conv2D 3x3, 2 -> 4 (uint8 kernel, float32 bias); bn (float16); dw: depthwise 3x3 (uint16);
  // dense 4 -> 3 (float32) after dw.
  private static final String TOPOLOGY = "{keras_version:\"2.2.4\",model_config:{class_name:\"Model\",config:{"
      + "name:\"m\",layers:[{name:\"in\",class_name:\"InputLayer\",config:{name:\"in\",sparse:!1,"
      + "batch_input_shape:[null,8,8,2]},inbound_nodes:[]},"
      + "{name:\"conv\",class_name:\"Conv2D\",config:{name:\"conv\",use_bias:!0,x:.5,y:-1e-3},"
      + "inbound_nodes:[[[\"in\",0,0,{}]]]},"
      + "{name:\"bn\",class_name:\"BatchNormalization\",config:{name:\"bn\"},inbound_nodes:[[[\"conv\",0,0,{}]]]},"
      + "{name:\"dw\",class_name:\"DepthwiseConv2D\",config:{name:\"dw\",'quoted':'it\\'s'},"
      + "inbound_nodes:[[[\"bn\",0,0,{}]]]},"
      + "{name:\"dense\",class_name:\"Dense\",config:{name:\"dense\"},inbound_nodes:[[[\"dw\",0,0,{}]]]}]}}}";

  private final byte[] convQ = bytes(3 * 3 * 2 * 4);
  private final float[] convBias = floats(4);
  private final short[] bnHalf = halves(16);
  private final short[] dwQ = shorts(3 * 3 * 4);
  private final float[] denseKernel = floats(12);
  private final float[] denseBias = floats(3);
  private final double convMin = -0.5 - random.nextDouble();
  private final double convScale = 0.001 + random.nextDouble() * 0.01;
  private final double dwMin = -1 - random.nextDouble();
  private final double dwScale = 1e-5 + random.nextDouble() * 1e-4;

  private String manifest(String convShape) {
    return "[{paths:[\"group1-shard1of1\"],weights:["
        + "{name:\"conv/kernel\",shape:" + convShape + ",dtype:\"float32\",quantization:{min:" + convMin + ",scale:"
        + convScale + ",dtype:\"uint8\"}},"
        + "{name:\"conv/bias\",shape:[4],dtype:\"float32\"},"
        + "{name:\"bn/gamma\",shape:[4],dtype:\"float32\",quantization:{dtype:\"float16\"}},"
        + "{name:\"bn/beta\",shape:[4],dtype:\"float32\",quantization:{dtype:\"float16\"}},"
        + "{name:\"bn/moving_mean\",shape:[4],dtype:\"float32\",quantization:{dtype:\"float16\"}},"
        + "{name:\"bn/moving_variance\",shape:[4],dtype:\"float32\",quantization:{dtype:\"float16\"}},"
        + "{name:\"dw/depthwise_kernel\",shape:[3,3,4,1],dtype:\"float32\",quantization:{min:" + dwMin + ",scale:"
        + dwScale + ",dtype:\"uint16\"}},"
        + "{name:\"dense/kernel\",shape:[4,3],dtype:\"float32\"},"
        + "{name:\"dense/bias\",shape:[3],dtype:\"float32\"}]}]";
  }

  private byte[] shard() {
    ByteBuffer b = ByteBuffer.allocate(72 + 16 + 32 + 72 + 48 + 12).order(ByteOrder.LITTLE_ENDIAN);
    b.put(convQ);
    for (float f : convBias) {
      b.putFloat(f);
    }
    for (short h : bnHalf) {
      b.putShort(h);
    }
    for (short q : dwQ) {
      b.putShort(q);
    }
    for (float f : denseKernel) {
      b.putFloat(f);
    }
    for (float f : denseBias) {
      b.putFloat(f);
    }
    return b.array();
  }

  private static String bundle(String variable, String literal) {
    return "!function(e){if(\"object\"==typeof exports&&\"undefined\"!=typeof module)module.exports=e();else{(this)."
        + variable + "=e()}}(function(){return function e(a,n,i){return a}({1:[function(e,a,n){a.exports=" + literal
        + "},{}]},{},[1])(1)});";
  }

  private Path write(Path dir, String convShape, byte[] shard) throws IOException {
    Files.writeString(dir.resolve("model.min.js"), bundle("model", "{modelTopology:" + TOPOLOGY
        + ",weightsManifest:" + manifest(convShape) + "}"));
    Files.writeString(dir.resolve("group1-shard1of1.min.js"), bundle("group1_shard1of1", "\""
        + Base64.getEncoder().encodeToString(shard) + "\""));
    return dir.resolve("model.min.js");
  }

  @Test
  void dequantisesEveryEncodingAndMapsKerasLayouts(@TempDir Path dir) throws IOException {
    TfjsLayersModel model = TfjsLayersModel.read(write(dir, "[3,3,2,4]", shard()));
    assertEquals(5, model.layers().size());
    assertEquals(0.5, model.layer("conv").config().path("x").asDouble());
    assertEquals(-1e-3, model.layer("conv").config().path("y").asDouble());
    assertTrue(model.layer("conv").config().path("use_bias").asBoolean());
    assertEquals("it's", model.layer("dw").config().path("quoted").asText());
    Map<String, TfjsLayersModel.Weight> w = model.weights();
    float[] kernel = w.get("conv/kernel").values();
    for (int i = 0; i < convQ.length; i++) {
      assertEquals((float) (convMin + convScale * (convQ[i] & 0xff)), kernel[i], "conv kernel " + i + seedNote());
    }
    assertArrayEquals(convBias, w.get("conv/bias").values());
    String[] bn = {"gamma", "beta", "moving_mean", "moving_variance"};
    for (int p = 0; p < 4; p++) {
      float[] v = w.get("bn/" + bn[p]).values();
      for (int c = 0; c < 4; c++) {
        assertEquals(half(bnHalf[p * 4 + c]), v[c], 0.0, "bn " + bn[p] + seedNote());
      }
    }
    float[] dw = w.get("dw/depthwise_kernel").values();
    for (int i = 0; i < dwQ.length; i++) {
      assertEquals((float) (dwMin + dwScale * (dwQ[i] & 0xffff)), dw[i], "depthwise " + i + seedNote());
    }

    Map<String, Tensor> state = KerasStateDict.upTo(model, "dw");
    try {
      assertEquals(java.util.Set.of("conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean",
          "bn.running_var", "dw.weight"), state.keySet(), "the dense layer after dw is left out");
      double[] conv = TensorAssert.values(state.get("conv.weight"));
      assertArrayEquals(new long[] {4, 2, 3, 3}, state.get("conv.weight").shape());
      for (int o = 0; o < 4; o++) {
        for (int i = 0; i < 2; i++) {
          for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 3; x++) {
              assertEquals(kernel[((y * 3 + x) * 2 + i) * 4 + o], conv[((o * 2 + i) * 3 + y) * 3 + x], 0.0);
            }
          }
        }
      }
      double[] depthwise = TensorAssert.values(state.get("dw.weight"));
      assertArrayEquals(new long[] {4, 1, 3, 3}, state.get("dw.weight").shape());
      for (int c = 0; c < 4; c++) {
        for (int k = 0; k < 9; k++) {
          assertEquals(dw[k * 4 + c], depthwise[c * 9 + k], 0.0);
        }
      }
      assertEquals(half(bnHalf[12]), TensorAssert.values(state.get("bn.running_var"))[0], 0.0);
    } finally {
      state.values().forEach(Tensor::close);
    }
    Map<String, Tensor> all = KerasStateDict.upTo(model, "dense");
    try {
      double[] dense = TensorAssert.values(all.get("dense.weight"));
      assertArrayEquals(new long[] {3, 4}, all.get("dense.weight").shape());
      for (int o = 0; o < 3; o++) {
        for (int i = 0; i < 4; i++) {
          assertEquals(denseKernel[i * 3 + o], dense[o * 4 + i], 0.0);
        }
      }
    } finally {
      all.values().forEach(Tensor::close);
    }
  }

  @Test
  void halfPrecisionDecodesLikeItsDefinition() {
    for (int bits = 0; bits < 1 << 16; bits++) {
      float expected = half((short) bits);
      float actual = TfjsLayersModel.halfToFloat((short) bits);
      if (Float.isNaN(expected)) {
        assertTrue(Float.isNaN(actual), Integer.toHexString(bits));
      } else {
        assertEquals(expected, actual, 0.0, Integer.toHexString(bits));
      }
    }
  }

  @Test
  void shortOrLongShardsAndMismatchedManifestsAreRefused(@TempDir Path dir) throws IOException {
    byte[] good = shard();
    byte[] shortShard = java.util.Arrays.copyOf(good, good.length - 1);
    assertMessage(write(dir, "[3,3,2,4]", shortShard), CORRUPT, "need " + good.length + " bytes");
    byte[] longShard = java.util.Arrays.copyOf(good, good.length + 4);
    assertMessage(write(dir, "[3,3,2,4]", longShard), CORRUPT, "hold more");
    assertMessage(write(dir, "[3,3,3,4]", good), CORRUPT, "does not match");
    assertMessage(write(dir, "[65536,65536,65536,4]", good), IscException.Kind.OUT_OF_RESOURCES,
        "more than");
    assertMessage(write(dir, "[3,-3,2,4]", good), CORRUPT, "bad shape");
  }

  @Test
  void corruptOrMissingFilesAreRefusedWithTheirName(@TempDir Path dir) throws IOException {
    Path model = write(dir, "[3,3,2,4]", shard());
    Path shard = dir.resolve("group1-shard1of1.min.js");
    Files.writeString(shard, bundle("s", "\"not*base64!\""));
    assertMessage(model, CORRUPT, "not valid base64");
    Files.writeString(shard, bundle("s", "{a:1}"));
    assertMessage(model, CORRUPT, "exports no base64 string");
    Files.delete(shard);
    assertMessage(model, IscException.Kind.INVALID_INPUT, "weight shard missing");
    String text = Files.readString(model, StandardCharsets.UTF_8);
    Files.writeString(model, text.substring(0, text.length() / 2));
    assertMessage(model, CORRUPT, "truncated");
    Files.writeString(model, "module.exports=function(){return 1}");
    assertMessage(model, CORRUPT, "not a TF.js model bundle");
    assertMessage(dir.resolve("absent.min.js"), IscException.Kind.INVALID_INPUT, "no such file");
    IscException deep = assertThrows(IscException.class, () -> JsLiteral.parse("[".repeat(100_000), "deep"));
    assertEquals(CORRUPT, deep.kind());
    assertTrue(deep.getMessage().contains("nested deeper"), deep.getMessage());
    assertFalse(JsLiteral.parse("{a:[1,.5,-2e-3,!0,null,'x\\u0041']}", "ok").isEmpty());
  }

  @Test
  void aLiteralCutAnywhereIsReportedAsTruncated() {
    String literal = "{a:[1,.5,-2e-3,+7E+2,!0,!1,null,void 0,true,false],'b c':\"x\\u0041\\n\","
        + "d:{e:[[],{}],f:'it\\'s'}}";
    assertFalse(JsLiteral.parse(literal, "whole").isEmpty());
    for (int cut = 0; cut < literal.length(); cut++) {
      String prefix = literal.substring(0, cut);
      IscException e = assertThrows(IscException.class, () -> JsLiteral.parse(prefix, "cut"), prefix);
      assertEquals(CORRUPT, e.kind());
      assertTrue(e.getMessage().contains("truncated"), "cut at " + cut + ": " + e.getMessage());
    }
  }

  private static void assertMessage(Path model, IscException.Kind kind, String expected) {
    RuntimeException e = assertThrows(RuntimeException.class, () -> TfjsLayersModel.read(model));
    assertEquals(kind, IscException.Kind.of(e), e.getMessage());
    assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
  }

  /** binary16 by its definition, in double: (-1)^s * 2^(e - 15) * (1 + m / 1024), subnormals 2^-14 * m / 1024. */
  private static float half(short bits) {
    int h = bits & 0xffff;
    int e = (h >> 10) & 0x1f;
    int m = h & 0x3ff;
    double sign = (h & 0x8000) != 0 ? -1 : 1;
    if (e == 31) {
      return m == 0 ? (float) (sign * Double.POSITIVE_INFINITY) : Float.NaN;
    }
    double v = e == 0 ? Math.pow(2, -14) * m / 1024.0 : Math.pow(2, e - 15) * (1 + m / 1024.0);
    return (float) (sign * v);
  }

  private String seedNote() {
    return " (seed " + seed + ")";
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private float[] floats(int n) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = (float) random.nextGaussian();
    }
    return f;
  }

  private short[] halves(int n) {
    short[] s = new short[n];
    for (int i = 0; i < n; i++) {
      s[i] = (short) (random.nextInt(0x7c00) | (random.nextBoolean() ? 0x8000 : 0));  // finite values
    }
    return s;
  }

  private short[] shorts(int n) {
    short[] s = new short[n];
    for (int i = 0; i < n; i++) {
      s[i] = (short) random.nextInt(1 << 16);
    }
    return s;
  }
}
