package org.iscengine.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
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
import org.iscengine.io.BoundedUnpickler;
import org.iscengine.io.InputLimits;
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

  /** The most one storage entry may hold: it is read into one Java array. */
  static final int MAX_STORAGE_BYTES = Integer.MAX_VALUE - 8;
  /** The largest tensor a checkpoint may make: no model this engine runs has one near it. */
  static final long MAX_TENSOR_BYTES = 2L << 30;
  /** What one checkpoint may make us allocate, storages and tensors together. */
  static final long MAX_CHECKPOINT_BYTES = 16L << 30;

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

  /** A storage of the archive: its raw little-endian bytes and element type, and the read it belongs to. */
  record Storage(StorageType type, byte[] data, Path file, Budget budget) {}

  /** Everything in the file: maps, lists, numbers, strings and CPU tensors. */
  public static Object read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": no such file");
    }
    try (ZipFile zip = open(file)) {
      ZipEntry pickle = zip.stream().filter(e -> e.getName().endsWith("data.pkl")).findFirst()
          .orElseThrow(() -> new IscException(IscException.Kind.CORRUPT_DATA, file + ": a zip file without data.pkl"
              + " is not a PyTorch checkpoint"));
      String prefix = pickle.getName().substring(0, pickle.getName().length() - "data.pkl".length());
      ZipEntry order = zip.getEntry(prefix + "byteorder");
      if (order != null) {
        String o = new String(InputLimits.readZipEntry(zip, order, 16, file + ": byteorder"), StandardCharsets.US_ASCII)
            .strip();
        if (!o.equals("little")) {
          throw new IscException(IscException.Kind.UNSUPPORTED, file + ": written on a " + o + "-endian machine;"
              + " only little-endian checkpoints are read");
        }
      }
      Budget budget = new Budget(file);
      Map<String, Storage> storages = new HashMap<>();
      Unpickler unpickler = new BoundedUnpickler(file + ": data.pkl") {
        @Override
        protected Object persistentLoad(Object pid) {
          return storage(zip, prefix, file, tuple(pid), storages, budget);
        }
      };
      byte[] data = InputLimits.readZipEntry(zip, pickle, BoundedUnpickler.MAX_PICKLE_BYTES, file + ": data.pkl");
      try {
        return unpickler.loads(data);
      } catch (IOException e) {
        throw new IscException(IscException.Kind.CORRUPT_DATA, file + ": data.pkl ends early (" + e.getMessage()
            + ")", e);
      }
    } catch (PickleException | ClassCastException | IndexOutOfBoundsException | java.util.zip.ZipException e) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, file + ": cannot read the checkpoint's contents ("
          + e.getMessage() + "); re-save just the state dict with torch.save(model.state_dict(), path)", e);
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
      throw legacy
          ? new IscException(IscException.Kind.UNSUPPORTED, file + ": PyTorch's legacy (pre-1.6) checkpoint format;"
              + " re-save it with torch.save in PyTorch 1.6 or later", e)
          : new IscException(IscException.Kind.CORRUPT_DATA, file + ": not a PyTorch checkpoint (not a zip archive;"
              + " truncated?)", e);
    }
  }

  /** A storage of the archive, read once however many tensors view it (as torch.load does). */
  private static Storage storage(ZipFile zip, String prefix, Path file, Object[] pid, Map<String, Storage> storages,
      Budget budget) {
    if (pid.length < 5 || !"storage".equals(pid[0]) || !(pid[1] instanceof StorageClass storageClass)) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, file + ": unknown persistent object "
          + java.util.Arrays.toString(pid));
    }
    StorageType type = storageClass.type();
    String key = String.valueOf(pid[2]);
    Storage known = storages.get(key);
    if (known != null) {
      return known;
    }
    ZipEntry entry = zip.getEntry(prefix + "data/" + key);
    if (entry == null) {
      throw new IscException(IscException.Kind.CORRUPT_DATA,
          file + ": storage " + key + " is missing from the archive (truncated?)");
    }
    String what = file + ": storage " + key;
    long expected = InputLimits.bytes(((Number) pid[4]).longValue(), type.bytes, what);
    if (expected < 0 || entry.getSize() >= 0 && entry.getSize() < expected) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, what + " holds " + entry.getSize() + " bytes, "
          + expected + " expected (truncated?)");
    }
    budget.take(Math.max(expected, entry.getSize()), "storage " + key);
    try {
      byte[] data = InputLimits.readZipEntry(zip, entry, MAX_STORAGE_BYTES, what);
      if (data.length < expected) {
        throw new IscException(IscException.Kind.CORRUPT_DATA, what + " holds " + data.length + " bytes, "
            + expected + " expected (truncated?)");
      }
      Storage storage = new Storage(type, data, file, budget);
      storages.put(key, storage);
      return storage;
    } catch (java.util.zip.ZipException e) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, what + " is damaged: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read storage " + key + ": " + e.getMessage(), e);
    }
  }

  /**
   * _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]). The view
   * must stay inside its storage, and the tensor it becomes (clone() materialises a view whose
   * strides repeat elements) must fit the budgets.
   */
  private static Object rebuildTensor(Object[] args) {
    Storage storage = (Storage) args[0];
    long offset = ((Number) args[1]).longValue();
    long[] size = longs(args[2]);
    long[] stride = longs(args[3]);
    long elements = storage.data().length / storage.type().bytes;
    String what = storage.file() + ": a tensor of shape " + java.util.Arrays.toString(size) + ", strides "
        + java.util.Arrays.toString(stride) + " and offset " + offset;
    long numel = InputLimits.elements(size, what);
    if (size.length != stride.length || offset < 0
        || numel > 0 && lastIndex(offset, size, stride, what) >= elements) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, what + " reaches outside its storage of " + elements
          + " elements");
    }
    long bytes = InputLimits.bytes(numel, storage.type().bytes, what);
    InputLimits.requireAtMost(bytes, MAX_TENSOR_BYTES, what + ": bytes");
    storage.budget().take(bytes, "a tensor of shape " + java.util.Arrays.toString(size));
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

  /** The storage index of a view's last element (Long.MAX_VALUE past a long); strides may not be negative. */
  private static long lastIndex(long offset, long[] size, long[] stride, String what) {
    try {
      long last = offset;
      for (int i = 0; i < size.length; i++) {
        if (stride[i] < 0) {
          throw new IscException(IscException.Kind.CORRUPT_DATA, what + ": negative stride");
        }
        last = Math.addExact(last, Math.multiplyExact(size[i] - 1, stride[i]));
      }
      return last;
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /** What one read may allocate, storages and tensors together. */
  static final class Budget {
    private final Path file;
    private long left = MAX_CHECKPOINT_BYTES;

    Budget(Path file) {
      this.file = file;
    }

    void take(long bytes, String what) {
      if (bytes > left) {
        throw new IscException(IscException.Kind.OUT_OF_RESOURCES, file + ": " + what + " (" + bytes
            + " bytes) would take the checkpoint past the " + MAX_CHECKPOINT_BYTES + " bytes allowed");
      }
      left -= bytes;
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
