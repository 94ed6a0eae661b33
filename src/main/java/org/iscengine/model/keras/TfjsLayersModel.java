package org.iscengine.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.iscengine.errors.IscException;

/**
 * A Keras model in the TF.js layers format: the topology (Keras's model_config) and the weights,
 * dequantised to float32. Reads either a {@code model.json} with binary shards beside it, or the
 * JavaScript bundles some npm packages ship instead ({@code model.min.js} exporting the topology
 * and manifest, {@code <shard>.min.js} exporting the shard's bytes as base64), without running
 * them. Every declared shape is checked against the bytes present before anything is allocated.
 */
public final class TfjsLayersModel {
  /** Largest model or shard file read (a hostile file cannot fill memory). */
  static final long MAX_FILE_BYTES = 512L << 20;
  /** Largest total of weight elements accepted (well above any Keras CNN). */
  static final long MAX_ELEMENTS = 1L << 28;

  /** One Keras layer: name, class (Conv2D, ...), its config and the layers feeding it. */
  public record Layer(String name, String className, JsonNode config, List<String> inputs) {}

  /** One weight, float32, in Keras's layout (e.g. HWIO kernels), row-major. */
  public record Weight(String name, long[] shape, float[] values) {}

  private final String source;
  private final Map<String, Layer> layers;
  private final Map<String, Weight> weights;

  private TfjsLayersModel(String source, Map<String, Layer> layers, Map<String, Weight> weights) {
    this.source = source;
    this.layers = layers;
    this.weights = weights;
  }

  /** Reads {@code model.json} or a {@code model.min.js} bundle and its weight shards beside it. */
  public static TfjsLayersModel read(Path modelFile) {
    boolean bundle = modelFile.getFileName().toString().endsWith(".js");
    JsonNode root = bundle ? JsLiteral.exported(modelFile, MAX_FILE_BYTES) : readJson(modelFile);
    String where = modelFile.toString();
    JsonNode topology = root.path("modelTopology");
    JsonNode manifest = root.path("weightsManifest");
    if (!topology.isObject() || !manifest.isArray()) {
      throw corrupt(where + ": no modelTopology and weightsManifest: not a TF.js layers model");
    }
    Map<String, Layer> layers = layers(topology, where);
    Map<String, Weight> weights = new LinkedHashMap<>();
    long elements = 0;
    for (JsonNode group : manifest) {
      List<Spec> specs = specs(group.path("weights"), where);
      long declared = 0;
      for (Spec s : specs) {
        elements = Math.addExact(elements, s.elements());
        if (elements > MAX_ELEMENTS) {
          throw tooLarge(where + ": the manifest declares more than " + MAX_ELEMENTS
              + " weight elements");
        }
        declared += s.bytes();
      }
      byte[] data = shards(modelFile.getParent(), group.path("paths"), bundle, declared, where);
      ByteBuffer buffer = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
      for (Spec s : specs) {
        if (weights.put(s.name(), new Weight(s.name(), s.shape(), s.decode(buffer))) != null) {
          throw corrupt(where + ": weight " + s.name() + " is listed twice");
        }
      }
    }
    return new TfjsLayersModel(where, layers, weights);
  }

  public String source() {
    return source;
  }

  /** The layers in the topology's order. */
  public List<Layer> layers() {
    return List.copyOf(layers.values());
  }

  public Layer layer(String name) {
    Layer l = layers.get(name);
    if (l == null) {
      throw new IllegalArgumentException(source + ": no layer named " + name);
    }
    return l;
  }

  /** The weights by their manifest names ({@code layer/kernel}, ...), in manifest order. */
  public Map<String, Weight> weights() {
    return weights;
  }

  /** The layer and every layer it depends on: what computing its output needs. */
  public Set<String> layersUpTo(String output) {
    Set<String> seen = new LinkedHashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(layer(output).name()));
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (seen.add(name)) {
        todo.addAll(layer(name).inputs());
      }
    }
    return seen;
  }

  private static JsonNode readJson(Path file) {
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw tooLarge(file + ": larger than " + MAX_FILE_BYTES + " bytes");
      }
      return new ObjectMapper().readTree(file.toFile());
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IllegalArgumentException(file + ": no such file", e);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw corrupt(file + ": not a TF.js model.json: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read it: " + e.getMessage(), e);
    }
  }

  private static Map<String, Layer> layers(JsonNode topology, String where) {
    JsonNode config = topology.path("model_config").path("config");
    JsonNode list = config.isArray() ? config : config.path("layers");  // Sequential v1 or functional Model
    if (!list.isArray() || list.isEmpty()) {
      throw corrupt(where + ": the topology lists no layers");
    }
    Map<String, Layer> layers = new LinkedHashMap<>();
    String previous = null;
    for (JsonNode l : list) {
      String name = l.path("config").path("name").asText(l.path("name").asText(""));
      if (name.isEmpty()) {
        throw corrupt(where + ": a layer without a name");
      }
      List<String> inputs = new ArrayList<>();
      JsonNode inbound = l.path("inbound_nodes");
      if (inbound.isArray()) {
        for (JsonNode node : inbound) {
          for (JsonNode edge : node) {
            inputs.add(edge.path(0).asText());
          }
        }
      } else if (previous != null) {
        inputs.add(previous);  // a Sequential model: each layer feeds the next
      }
      if (layers.put(name, new Layer(name, l.path("class_name").asText(), l.path("config"), List.copyOf(inputs)))
          != null) {
        throw corrupt(where + ": layer " + name + " is listed twice");
      }
      previous = name;
    }
    for (Layer l : layers.values()) {
      for (String in : l.inputs()) {
        if (!layers.containsKey(in)) {
          throw corrupt(where + ": layer " + l.name() + " takes input from " + in
              + ", which the topology does not have");
        }
      }
    }
    return layers;
  }

  /** One manifest entry: its bytes per element and how to turn them into float32. */
  private record Spec(String name, long[] shape, long elements, String dtype, double min, double scale) {
    long bytes() {
      return elements * switch (dtype) {
        case "uint8" -> 1;
        case "uint16", "float16" -> 2;
        default -> 4;
      };
    }

    float[] decode(ByteBuffer in) {
      float[] out = new float[(int) elements];
      for (int i = 0; i < out.length; i++) {
        out[i] = switch (dtype) {
          case "uint8" -> (float) (min + scale * (in.get() & 0xff));
          case "uint16" -> (float) (min + scale * (in.getShort() & 0xffff));
          case "float16" -> halfToFloat(in.getShort());
          case "int32" -> in.getInt();
          default -> in.getFloat();
        };
      }
      return out;
    }
  }

  private static List<Spec> specs(JsonNode list, String where) {
    if (!list.isArray()) {
      throw corrupt(where + ": a weights manifest group without a weights list");
    }
    List<Spec> specs = new ArrayList<>();
    for (JsonNode w : list) {
      String name = w.path("name").asText("");
      JsonNode shapeNode = w.path("shape");
      if (name.isEmpty() || !shapeNode.isArray()) {
        throw corrupt(where + ": a manifest weight without a name or shape: " + w);
      }
      long[] shape = new long[shapeNode.size()];
      long elements = 1;
      for (int i = 0; i < shape.length; i++) {
        JsonNode d = shapeNode.get(i);
        if (!d.canConvertToLong() || d.asLong() < 0 || d.asLong() > MAX_ELEMENTS) {
          throw corrupt(where + ": weight " + name + " has a bad shape " + shapeNode);
        }
        shape[i] = d.asLong();
        elements *= shape[i];
        if (elements > MAX_ELEMENTS) {
          throw tooLarge(where + ": weight " + name + " shape " + shapeNode + " has more than "
              + MAX_ELEMENTS + " elements");
        }
      }
      String dtype = w.path("dtype").asText("float32");
      if (!dtype.equals("float32") && !dtype.equals("int32")) {
        throw unsupported(where + ": weight " + name + " has dtype " + dtype
            + "; float32 and int32 are supported");
      }
      JsonNode q = w.path("quantization");
      double min = 0;
      double scale = 1;
      if (q.isObject()) {
        dtype = q.path("dtype").asText();
        if (!List.of("uint8", "uint16", "float16").contains(dtype)) {
          throw unsupported(where + ": weight " + name + " is quantised as '" + dtype
              + "'; uint8, uint16 and float16 are supported");
        }
        if (!dtype.equals("float16")) {
          min = q.path("min").asDouble(Double.NaN);
          scale = q.path("scale").asDouble(Double.NaN);
          if (!Double.isFinite(min) || !Double.isFinite(scale)) {
            throw corrupt(where + ": weight " + name + " lacks a finite quantization min and"
                + " scale: " + q);
          }
        }
      }
      specs.add(new Spec(name, shape, elements, dtype, min, scale));
    }
    return specs;
  }

  /** The group's shards, concatenated; their size must be what the manifest declares. */
  private static byte[] shards(Path folder, JsonNode paths, boolean bundle, long declared, String where) {
    if (!paths.isArray() || paths.isEmpty()) {
      throw corrupt(where + ": a weights manifest group without shard paths");
    }
    List<byte[]> parts = new ArrayList<>();
    long total = 0;
    for (JsonNode p : paths) {
      String name = p.asText();
      if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
        throw corrupt(where + ": shard path '" + name + "' is not a plain file name");
      }
      Path file = folder.resolve(bundle ? name + ".min.js" : name);
      byte[] bytes = bundle ? bundleShard(file) : binaryShard(file);
      total += bytes.length;
      if (total > declared) {
        break;  // reported below, before more is read
      }
      parts.add(bytes);
    }
    if (total != declared) {
      throw corrupt(where + ": the manifest's weights need " + declared + " bytes but shards "
          + paths + " hold " + (total > declared ? "more" : total + "") + " (corrupt or truncated shard, or a"
          + " manifest that does not match it)");
    }
    byte[] data = new byte[(int) declared];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, data, at, part.length);
      at += part.length;
    }
    return data;
  }

  private static byte[] binaryShard(Path file) {
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        throw tooLarge(file + ": " + size + " bytes, more than a shard may have");
      }
      return Files.readAllBytes(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IllegalArgumentException(file + ": weight shard missing", e);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read the weight shard: " + e.getMessage(), e);
    }
  }

  private static byte[] bundleShard(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": weight shard missing");
    }
    JsonNode value = JsLiteral.exported(file, MAX_FILE_BYTES);
    if (!value.isTextual()) {
      throw corrupt(file + ": exports no base64 string: not a TF.js weight shard bundle");
    }
    try {
      return Base64.getDecoder().decode(value.asText());
    } catch (IllegalArgumentException e) {
      throw corrupt(file + ": the weight shard is not valid base64: " + e.getMessage());
    }
  }

  private static IscException corrupt(String message) {
    return new IscException(IscException.Kind.CORRUPT_DATA, message);
  }

  private static IscException tooLarge(String message) {
    return new IscException(IscException.Kind.OUT_OF_RESOURCES, message);
  }

  private static IscException unsupported(String message) {
    return new IscException(IscException.Kind.UNSUPPORTED, message);
  }

  /** IEEE 754 binary16 to float32 (subnormals, infinities and NaN included). */
  static float halfToFloat(short bits) {
    int h = bits & 0xffff;
    int sign = (h >>> 15) << 31;
    int exponent = (h >>> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    if (exponent == 0) {
      float v = mantissa * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    if (exponent == 31) {
      return Float.intBitsToFloat(sign | 0x7f800000 | mantissa << 13);
    }
    return Float.intBitsToFloat(sign | (exponent + 112) << 23 | mantissa << 13);
  }

  @Override
  public String toString() {
    return source + " (" + layers.size() + " layers, " + weights.size() + " weights, shapes e.g. "
        + weights.values().stream().limit(1).map(w -> w.name() + Arrays.toString(w.shape())).toList() + ")";
  }
}
