package org.iscengine.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.io.AtomicFile;
import org.iscengine.kernels.Tensors;

/**
 * Writes a state dict as {@code torch.save} does (its zip format, pickle protocol 2): an
 * OrderedDict of name to tensor that {@code torch.load} reads back and
 * {@code module.load_state_dict} takes. Each tensor gets its own storage, stored uncompressed.
 */
public final class TorchSave {
  private static final byte PROTO = (byte) 0x80;
  private static final byte GLOBAL = 'c';
  private static final byte EMPTY_TUPLE = ')';
  private static final byte REDUCE = 'R';
  private static final byte MARK = '(';
  private static final byte TUPLE = 't';
  private static final byte SETITEMS = 'u';
  private static final byte BINUNICODE = 'X';
  private static final byte BININT = 'J';
  private static final byte LONG1 = (byte) 0x8a;
  private static final byte BINPERSID = 'Q';
  private static final byte NEWFALSE = (byte) 0x89;
  private static final byte STOP = '.';

  private TorchSave() {}

  /** Writes the tensors (CPU or not, any layout) under their names, atomically. */
  public static void write(Path file, Map<String, Tensor> stateDict) {
    List<PyTorchCheckpoint.StorageType> types = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : stateDict.entrySet()) {
      types.add(storageType(e.getKey(), e.getValue()));
    }
    byte[] pickle = pickle(stateDict, types);
    // torch.load takes the archive's folder name from its first entry; torch.save uses the file's stem.
    String archive = file.getFileName().toString().replaceFirst("\\.[^.]*$", "").replaceAll("[^A-Za-z0-9_.-]", "_");
    String folder = (archive.isEmpty() ? "archive" : archive) + "/";
    AtomicFile.write(file, temporary -> {
      try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(temporary))) {
        stored(zip, folder + "data.pkl", pickle);
        int k = 0;
        for (Tensor t : stateDict.values()) {
          storedTensor(zip, folder + "data/" + k++, t);
        }
        stored(zip, folder + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
        stored(zip, folder + "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
      }
    });
  }

  private static PyTorchCheckpoint.StorageType storageType(String name, Tensor t) {
    var dtype = Tensors.dtype(t);
    return Arrays.stream(PyTorchCheckpoint.StorageType.values()).filter(s -> s.dtype == dtype).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("tensor " + name + ": no PyTorch storage for " + dtype));
  }

  /** OrderedDict([(name, torch._utils._rebuild_tensor_v2(storage k, 0, size, stride, False, OrderedDict())), ...]). */
  private static byte[] pickle(Map<String, Tensor> stateDict, List<PyTorchCheckpoint.StorageType> types) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(PROTO);
    out.write(2);
    orderedDict(out);
    out.write(MARK);
    int k = 0;
    for (Map.Entry<String, Tensor> e : stateDict.entrySet()) {
      Tensor t = e.getValue();
      long[] size = t.shape();
      unicode(out, e.getKey());
      global(out, "torch._utils", "_rebuild_tensor_v2");
      out.write(MARK);
      out.write(MARK);  // the persistent id of the storage: ('storage', type, key, location, elements)
      unicode(out, "storage");
      global(out, "torch", types.get(k).pythonName);
      unicode(out, Integer.toString(k));
      unicode(out, "cpu");
      integer(out, t.numel());
      out.write(TUPLE);
      out.write(BINPERSID);
      integer(out, 0);
      longs(out, size);
      longs(out, contiguousStrides(size));
      out.write(NEWFALSE);
      orderedDict(out);
      out.write(TUPLE);
      out.write(REDUCE);
      k++;
    }
    out.write(SETITEMS);
    out.write(STOP);
    return out.toByteArray();
  }

  private static long[] contiguousStrides(long[] size) {
    long[] stride = new long[size.length];
    long s = 1;
    for (int i = size.length - 1; i >= 0; i--) {
      stride[i] = s;
      s *= Math.max(1, size[i]);
    }
    return stride;
  }

  private static void orderedDict(ByteArrayOutputStream out) {
    global(out, "collections", "OrderedDict");
    out.write(EMPTY_TUPLE);
    out.write(REDUCE);
  }

  private static void global(ByteArrayOutputStream out, String module, String name) {
    out.write(GLOBAL);
    out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
  }

  private static void unicode(ByteArrayOutputStream out, String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    out.write(BINUNICODE);
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(utf8.length).array());
    out.writeBytes(utf8);
  }

  private static void integer(ByteArrayOutputStream out, long v) {
    if (v == (int) v) {
      out.write(BININT);
      out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
    } else {
      out.write(LONG1);
      out.write(8);
      out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }
  }

  private static void longs(ByteArrayOutputStream out, long[] values) {
    if (values.length == 0) {
      out.write(EMPTY_TUPLE);
      return;
    }
    out.write(MARK);
    for (long v : values) {
      integer(out, v);
    }
    out.write(TUPLE);
  }

  private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
    CRC32 crc = new CRC32();
    crc.update(data);
    zip.putNextEntry(storedEntry(name, data.length, crc.getValue()));
    zip.write(data);
    zip.closeEntry();
  }

  /** A tensor's bytes as a stored entry: a stored entry declares its CRC first, so the bytes are walked twice. */
  private static void storedTensor(ZipOutputStream zip, String name, Tensor t) throws IOException {
    CheckedOutputStream crc = new CheckedOutputStream(OutputStream.nullOutputStream(), new CRC32());
    ModelFile.write(crc, t);
    zip.putNextEntry(storedEntry(name, t.numel() * t.element_size(), crc.getChecksum().getValue()));
    ModelFile.write(zip, t);
    zip.closeEntry();
  }

  private static ZipEntry storedEntry(String name, long size, long crc) {
    ZipEntry entry = new ZipEntry(name);
    entry.setMethod(ZipEntry.STORED);
    entry.setSize(size);
    entry.setCompressedSize(size);
    entry.setCrc(crc);
    return entry;
  }
}
