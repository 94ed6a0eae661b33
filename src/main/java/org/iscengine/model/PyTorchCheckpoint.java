package org.iscengine.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Unpickler;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.errors.IscException;
import org.iscengine.kernels.Tensors;

/**
 * Reads PyTorch checkpoints written by {@code torch.save} (the zip format of PyTorch 1.6 and
 * later, whatever the file is called: .pt, .pth, .pth.tar) without Python: the pickle is read
 * with the Pyrolite unpickler, tensors are rebuilt from the archive's storages. Other Python
 * objects in the file (argparse namespaces, epochs, optimizer states) are read as plain maps and
 * lists, so a checkpoint need not hold a bare state dict.
 */
public final class PyTorchCheckpoint {
  /** Where a state dict is looked for inside a checkpoint that is not one itself. */
  static final List<String> STATE_DICT_KEYS = List.of("state_dict", "model_state_dict", "model", "net", "module",
      "teacher", "student");

  static {
    Unpickler.registerConstructor("torch._utils", "_rebuild_tensor_v2", PyTorchCheckpoint::rebuildTensor);
    Unpickler.registerConstructor("torch._utils", "_rebuild_tensor", PyTorchCheckpoint::rebuildTensor);
    Unpickler.registerConstructor("torch._utils", "_rebuild_parameter", args -> args[0]);
    Unpickler.registerConstructor("torch._utils", "_rebuild_parameter_with_state", args -> args[0]);
    Unpickler.registerConstructor("torch._tensor", "_rebuild_from_type_v2",
        args -> ((IObjectConstructor) args[0]).construct(tuple(args[2])));
    Unpickler.registerConstructor("collections", "OrderedDict", args -> new OrderedDict());
    for (StorageType t : StorageType.values()) {
      Unpickler.registerConstructor("torch", t.pythonName, new StorageClass(t));
    }
  }

  private PyTorchCheckpoint() {}

  /** The element types of PyTorch's typed storages. */
  enum StorageType {
    FLOAT("FloatStorage", ScalarType.Float, 4),
    DOUBLE("DoubleStorage", ScalarType.Double, 8),
    HALF("HalfStorage", ScalarType.Half, 2),
    BFLOAT16("BFloat16Storage", ScalarType.BFloat16, 2),
    LONG("LongStorage", ScalarType.Long, 8),
    INT("IntStorage", ScalarType.Int, 4),
    SHORT("ShortStorage", ScalarType.Short, 2),
    CHAR("CharStorage", ScalarType.Char, 1),
    BYTE("ByteStorage", ScalarType.Byte, 1),
    BOOL("BoolStorage", ScalarType.Bool, 1);

    final String pythonName;
    final ScalarType dtype;
    final int bytes;

    StorageType(String pythonName, ScalarType dtype, int bytes) {
      this.pythonName = pythonName;
      this.dtype = dtype;
      this.bytes = bytes;
    }
  }

  /**
   * collections.OrderedDict. A state dict's carries attributes (its _metadata: module versions),
   * which the pickle restores through __setstate__; they are not needed here.
   */
  public static final class OrderedDict extends LinkedHashMap<Object, Object> {
    public void __setstate__(java.util.HashMap<?, ?> attributes) {
      // attributes dropped
    }
  }

  /** The class object torch.FloatStorage etc. as the pickle names it (GLOBAL pushes the class, not an instance). */
  record StorageClass(StorageType type) implements IObjectConstructor {
    @Override
    public Object construct(Object[] args) {
      return type;
    }
  }

  /** A storage of the archive: its raw little-endian bytes and element type. */
  record Storage(StorageType type, byte[] data) {}

  /** Everything in the file: maps, lists, numbers, strings and CPU tensors. */
  public static Object read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": no such file");
    }
    try (ZipFile zip = open(file)) {
      ZipEntry pickle = zip.stream().filter(e -> e.getName().endsWith("data.pkl")).findFirst()
          .orElseThrow(() -> new IllegalArgumentException(file + ": a zip file without data.pkl is not a PyTorch"
              + " checkpoint"));
      String prefix = pickle.getName().substring(0, pickle.getName().length() - "data.pkl".length());
      ZipEntry order = zip.getEntry(prefix + "byteorder");
      if (order != null) {
        try (InputStream in = zip.getInputStream(order)) {
          String o = new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
          if (!o.equals("little")) {
            throw new IllegalArgumentException(file + ": written on a " + o + "-endian machine; only little-endian"
                + " checkpoints are read");
          }
        }
      }
      Unpickler unpickler = new Unpickler() {
        @Override
        protected Object persistentLoad(Object pid) {
          return storage(zip, prefix, file, tuple(pid));
        }
      };
      try (InputStream in = zip.getInputStream(pickle)) {
        return unpickler.load(in);
      }
    } catch (PickleException | ClassCastException | IndexOutOfBoundsException e) {
      throw new IllegalArgumentException(file + ": cannot read the checkpoint's contents (" + e.getMessage()
          + "); re-save just the state dict with torch.save(model.state_dict(), path)", e);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read it: " + e.getMessage(), e);
    }
  }

  /**
   * The state dict in the file: the file itself when it is a map of tensors, else the first map
   * of tensors under state_dict, model_state_dict, model, ... ; a "module." prefix on every key
   * (DataParallel) is removed. Entries that are not tensors are dropped.
   */
  public static Map<String, Tensor> stateDict(Path file) {
    Object root = read(file);
    Map<String, Tensor> tensors = tensors(root);
    if (tensors.isEmpty() && root instanceof Map<?, ?> map) {
      for (String key : STATE_DICT_KEYS) {
        tensors = tensors(map.get(key));
        if (!tensors.isEmpty()) {
          break;
        }
      }
    }
    if (tensors.isEmpty()) {
      throw new IllegalArgumentException(file + ": no state dict found (a map of tensors, itself or under one of "
          + STATE_DICT_KEYS + ")");
    }
    return StateDicts.stripPrefix(tensors, "module.");
  }

  private static Map<String, Tensor> tensors(Object o) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    if (o instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (e.getValue() instanceof Tensor t) {
          out.put(String.valueOf(e.getKey()), t);
        }
      }
    }
    return out;
  }

  private static ZipFile open(Path file) throws IOException {
    try {
      return new ZipFile(file.toFile());
    } catch (java.util.zip.ZipException e) {
      byte[] head = new byte[2];
      try (InputStream in = Files.newInputStream(file)) {
        in.readNBytes(head, 0, 2);
      }
      boolean legacy = (head[0] & 0xff) == 0x80;  // a bare pickle: the pre-1.6 format
      throw new IllegalArgumentException(file + (legacy
          ? ": PyTorch's legacy (pre-1.6) checkpoint format; re-save it with torch.save in PyTorch 1.6 or later"
          : ": not a PyTorch checkpoint (not a zip archive; truncated?)"), e);
    }
  }

  private static Storage storage(ZipFile zip, String prefix, Path file, Object[] pid) {
    if (pid.length < 5 || !"storage".equals(pid[0]) || !(pid[1] instanceof StorageClass storageClass)) {
      throw new IllegalArgumentException(file + ": unknown persistent object " + java.util.Arrays.toString(pid));
    }
    StorageType type = storageClass.type();
    String key = String.valueOf(pid[2]);
    ZipEntry entry = zip.getEntry(prefix + "data/" + key);
    if (entry == null) {
      throw new IscException(IscException.Kind.CORRUPT_DATA,
          file + ": storage " + key + " is missing from the archive (truncated?)");
    }
    try (InputStream in = zip.getInputStream(entry)) {
      byte[] data = in.readAllBytes();
      long numel = ((Number) pid[4]).longValue();
      if (data.length < numel * type.bytes) {
        throw new IllegalArgumentException(file + ": storage " + key + " holds " + data.length + " bytes, "
            + numel * type.bytes + " expected (truncated?)");
      }
      return new Storage(type, data);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read storage " + key + ": " + e.getMessage(), e);
    }
  }

  /** _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]). */
  private static Object rebuildTensor(Object[] args) {
    Storage storage = (Storage) args[0];
    long offset = ((Number) args[1]).longValue();
    long[] size = longs(args[2]);
    long[] stride = longs(args[3]);
    long elements = storage.data().length / storage.type().bytes;
    try (Device cpu = new Device("cpu");
        TensorOptions options = Tensors.options(cpu, storage.type().dtype);
        MemoryFormatOptional format = new MemoryFormatOptional();
        Tensor flat = torch.empty(new long[] {elements}, options, format);
        BytePointer target = new BytePointer(flat.data_ptr())) {
      // The archive's bytes are little-endian, as this machine's (x86-64 or ARM).
      target.put(storage.data(), 0, storage.data().length);
      try (LongOptional storageOffset = new LongOptional(offset);
          Tensor view = flat.as_strided(size, stride, storageOffset)) {
        return view.clone();
      }
    }
  }

  private static long[] longs(Object tuple) {
    Object[] t = tuple(tuple);
    long[] out = new long[t.length];
    for (int i = 0; i < t.length; i++) {
      out[i] = ((Number) t[i]).longValue();
    }
    return out;
  }

  private static Object[] tuple(Object o) {
    if (o instanceof Object[] a) {
      return a;
    }
    if (o instanceof List<?> l) {
      return l.toArray();
    }
    throw new ClassCastException("expected a tuple, got " + (o == null ? "None" : o.getClass().getSimpleName()));
  }
}
