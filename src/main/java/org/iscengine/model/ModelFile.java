package org.iscengine.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.errors.IscException;
import org.iscengine.io.AtomicFile;
import org.iscengine.io.InputLimits;
import org.iscengine.kernels.Tensors;
import org.iscengine.runtime.Versions;

/**
 * The engine's model file: a zip holding {@code model.json} (the {@link ModelConfig}, where the
 * weights came from, and the tensor table) and one little-endian entry per tensor. Written
 * atomically; the zip's CRCs catch corruption when reading, and each tensor's declared size is
 * checked against its entry before it is allocated.
 */
public final class ModelFile {
  public static final String FORMAT = "isc-model";
  static final int VERSION = 1;
  private static final String MANIFEST = "model.json";
  /** A manifest lists a few hundred tensors; more than this is not one. */
  private static final int MAX_MANIFEST_BYTES = 16 << 20;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ModelFile() {}

  /** One stored tensor. */
  public record Entry(String name, String dtype, long[] shape, String file) {}

  /** What model.json holds. */
  public record Manifest(String format, int version, String engineVersion, ModelConfig config, String source,
      long parameters, List<Entry> tensors) {}

  public static void save(Path file, DescriptorModel model, String source) {
    Map<String, Tensor> state = StateDicts.of(model);
    try {
      List<Entry> entries = new ArrayList<>();
      long parameters = 0;
      int i = 0;
      for (Map.Entry<String, Tensor> e : state.entrySet()) {
        entries.add(new Entry(e.getKey(), Tensors.dtype(e.getValue()).toString(), e.getValue().shape(),
            "tensors/" + i++));
      }
      try (var params = model.parameters()) {
        for (long p = 0; p < params.size(); p++) {
          parameters += params.get(p).numel();
        }
      }
      Manifest manifest = new Manifest(FORMAT, VERSION, Versions.engine(), model.config(), source, parameters,
          entries);
      AtomicFile.write(file, tmp -> {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(tmp))) {
          zip.putNextEntry(new ZipEntry(MANIFEST));
          zip.write(JSON.writeValueAsBytes(manifest));
          zip.closeEntry();
          int k = 0;
          for (Tensor t : state.values()) {
            zip.putNextEntry(new ZipEntry(entries.get(k++).file()));
            write(zip, t);
            zip.closeEntry();
          }
        }
      });
    } finally {
      state.values().forEach(Tensor::close);
    }
  }

  /** The manifest alone (for isc model info). */
  public static Manifest manifest(Path file) {
    try (ZipFile zip = open(file)) {
      return manifest(zip, file);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read it: " + e.getMessage(), e);
    }
  }

  /** The model, its weights loaded strictly. */
  public static DescriptorModel load(Path file) {
    return load(file, null);
  }

  /**
   * The weights of a model file in a model of another configuration with the same parameters
   * (e.g. another input size, as the next training stage uses); config null: the file's own.
   */
  public static DescriptorModel load(Path file, ModelConfig config) {
    try (ZipFile zip = open(file)) {
      Manifest m = manifest(zip, file);
      DescriptorModel model = new DescriptorModel(config == null ? m.config() : config);
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      try {
        requireTheModelsTensors(m, model, file, config == null);
        for (Entry e : m.tensors()) {
          ZipEntry z = zip.getEntry(e.file());
          if (z == null) {
            throw new IscException(IscException.Kind.CORRUPT_DATA,
                file + ": tensor " + e.name() + " is missing (truncated file?)");
          }
          try (InputStream in = zip.getInputStream(z)) {
            tensors.put(e.name(), read(in, z.getSize(), e, file));
          }
        }
        StateDicts.load(model, tensors, false);
        return model;
      } catch (RuntimeException e) {
        model.close();
        throw e;
      } finally {
        tensors.values().forEach(Tensor::close);
      }
    } catch (java.util.zip.ZipException e) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, file + ": corrupt model file: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read it: " + e.getMessage(), e);
    }
  }

  /**
   * Each table entry must be one of the model's tensors, with its shape, and appear once: what is
   * read is then bounded by the model itself, however the table repeats or invents entries. A
   * table that does not fit the model of its own config is corrupt; one that does not fit another
   * config asked for is the caller's mistake.
   */
  private static void requireTheModelsTensors(Manifest m, DescriptorModel model, Path file, boolean ownConfig) {
    IscException.Kind misfit = ownConfig ? IscException.Kind.CORRUPT_DATA : IscException.Kind.INVALID_INPUT;
    if (m.tensors() == null) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, file + ": " + MANIFEST + " has no tensor table");
    }
    Map<String, Tensor> own = StateDicts.of(model);
    try {
      Set<String> seen = new HashSet<>();
      for (Entry e : m.tensors()) {
        Tensor t = own.get(e.name());
        String what = file + ": tensor " + e.name();
        if (t == null) {
          throw new IscException(misfit, what + " is not one of the model's");
        }
        if (!seen.add(e.name())) {
          throw new IscException(IscException.Kind.CORRUPT_DATA, what + " is listed twice");
        }
        if (!Arrays.equals(t.shape(), e.shape())) {
          throw new IscException(misfit, what + " has shape " + Arrays.toString(e.shape())
              + ", " + Arrays.toString(t.shape()) + " expected");
        }
      }
    } finally {
      own.values().forEach(Tensor::close);
    }
  }

  /** Whether the file is one of ours (a zip with model.json). */
  public static boolean isModelFile(Path file) {
    try (ZipFile zip = new ZipFile(file.toFile())) {
      return zip.getEntry(MANIFEST) != null;
    } catch (IOException e) {
      return false;
    }
  }

  private static ZipFile open(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": no such file");
    }
    try {
      return new ZipFile(file.toFile());
    } catch (java.util.zip.ZipException e) {
      throw new IscException(IscException.Kind.CORRUPT_DATA,
          file + ": not an isc model file (not a zip archive; truncated?)", e);
    }
  }

  private static Manifest manifest(ZipFile zip, Path file) throws IOException {
    ZipEntry entry = zip.getEntry(MANIFEST);
    if (entry == null) {
      throw new IllegalArgumentException(file + ": not an isc model file (no " + MANIFEST + ")");
    }
    Manifest m;
    try {
      m = JSON.readValue(InputLimits.readZipEntry(zip, entry, MAX_MANIFEST_BYTES, file + ": " + MANIFEST),
          Manifest.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, file + ": " + MANIFEST + " is not a model manifest: "
          + e.getOriginalMessage(), e);
    }
    if (!FORMAT.equals(m.format()) || m.version() != VERSION) {
      throw new IscException(IscException.Kind.UNSUPPORTED,
          file + ": model file format " + m.format() + " v" + m.version()
          + ", this engine reads " + FORMAT + " v" + VERSION);
    }
    return m;
  }

  /** The tensor's elements as PyTorch lays them out in a file: contiguous, little-endian, on the CPU. */
  static void write(OutputStream out, Tensor t) throws IOException {
    try (Tensor cpu = t.cpu().contiguous();
        BytePointer p = new BytePointer(cpu.data_ptr())) {
      long bytes = cpu.numel() * cpu.element_size();
      byte[] chunk = new byte[1 << 20];
      for (long o = 0; o < bytes; o += chunk.length) {
        int n = (int) Math.min(chunk.length, bytes - o);
        p.position(o).get(chunk, 0, n);
        out.write(chunk, 0, n);
      }
    }
  }

  /** Reads a tensor once its table entry is checked against the size of the zip entry holding it. */
  private static Tensor read(InputStream in, long entryBytes, Entry e, Path file) throws IOException {
    ScalarType dtype;
    long bytes;
    try {
      dtype = ScalarType.valueOf(e.dtype());
      bytes = torch.elementSize(dtype);
      for (long d : e.shape()) {
        if (d < 0) {
          throw new ArithmeticException("negative size " + d);
        }
        bytes = Math.multiplyExact(bytes, d);
      }
    } catch (IllegalArgumentException | ArithmeticException | NullPointerException x) {
      throw new IscException(IscException.Kind.CORRUPT_DATA,
          file + ": tensor " + e.name() + " has an impossible type or shape ("
          + e.dtype() + ", " + java.util.Arrays.toString(e.shape()) + ")", x);
    }
    if (bytes != entryBytes || bytes > Integer.MAX_VALUE) {
      throw new IscException(IscException.Kind.CORRUPT_DATA,
          file + ": tensor " + e.name() + " has " + entryBytes + " bytes, "
          + bytes + " expected");
    }
    byte[] data = in.readNBytes((int) bytes);
    if (data.length != bytes || in.read() >= 0) {
      throw new IscException(IscException.Kind.CORRUPT_DATA,
          file + ": tensor " + e.name() + " does not have the " + bytes
          + " bytes its zip entry declares");
    }
    try (Device cpu = new Device("cpu");
        TensorOptions options = Tensors.options(cpu, dtype);
        MemoryFormatOptional format = new MemoryFormatOptional()) {
      Tensor t = torch.empty(e.shape(), options, format);
      try (BytePointer p = new BytePointer(t.data_ptr())) {
        p.put(data, 0, data.length);
      }
      return t;
    }
  }
}
