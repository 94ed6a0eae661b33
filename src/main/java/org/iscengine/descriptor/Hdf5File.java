package org.iscengine.descriptor;

import static org.bytedeco.hdf5.global.hdf5.H5D_CHUNKED;
import static org.bytedeco.hdf5.global.hdf5.H5D_CONTIGUOUS;
import static org.bytedeco.hdf5.global.hdf5.H5Dclose;
import static org.bytedeco.hdf5.global.hdf5.H5Dcreate2;
import static org.bytedeco.hdf5.global.hdf5.H5Dget_chunk_info_by_coord;
import static org.bytedeco.hdf5.global.hdf5.H5Dget_create_plist;
import static org.bytedeco.hdf5.global.hdf5.H5Dget_offset;
import static org.bytedeco.hdf5.global.hdf5.H5Dget_space;
import static org.bytedeco.hdf5.global.hdf5.H5Dget_storage_size;
import static org.bytedeco.hdf5.global.hdf5.H5Dget_type;
import static org.bytedeco.hdf5.global.hdf5.H5Dopen2;
import static org.bytedeco.hdf5.global.hdf5.H5Dread;
import static org.bytedeco.hdf5.global.hdf5.H5Dread_chunk;
import static org.bytedeco.hdf5.global.hdf5.H5Dwrite;
import static org.bytedeco.hdf5.global.hdf5.H5E_DEFAULT;
import static org.bytedeco.hdf5.global.hdf5.H5Eset_auto2;
import static org.bytedeco.hdf5.global.hdf5.H5F_ACC_RDONLY;
import static org.bytedeco.hdf5.global.hdf5.H5F_ACC_TRUNC;
import static org.bytedeco.hdf5.global.hdf5.H5Fclose;
import static org.bytedeco.hdf5.global.hdf5.H5Fcreate;
import static org.bytedeco.hdf5.global.hdf5.H5Fget_create_plist;
import static org.bytedeco.hdf5.global.hdf5.H5Fget_filesize;
import static org.bytedeco.hdf5.global.hdf5.H5Fopen;
import static org.bytedeco.hdf5.global.hdf5.H5Lexists;
import static org.bytedeco.hdf5.global.hdf5.H5P_DEFAULT;
import static org.bytedeco.hdf5.global.hdf5.H5Pclose;
import static org.bytedeco.hdf5.global.hdf5.H5Pget_chunk;
import static org.bytedeco.hdf5.global.hdf5.H5Pget_external_count;
import static org.bytedeco.hdf5.global.hdf5.H5Pget_filter2;
import static org.bytedeco.hdf5.global.hdf5.H5Pget_layout;
import static org.bytedeco.hdf5.global.hdf5.H5Pget_nfilters;
import static org.bytedeco.hdf5.global.hdf5.H5Pget_sizes;
import static org.bytedeco.hdf5.global.hdf5.H5Pget_userblock;
import static org.bytedeco.hdf5.global.hdf5.H5S_ALL;
import static org.bytedeco.hdf5.global.hdf5.H5Sclose;
import static org.bytedeco.hdf5.global.hdf5.H5Screate_simple;
import static org.bytedeco.hdf5.global.hdf5.H5Sget_simple_extent_dims;
import static org.bytedeco.hdf5.global.hdf5.H5Sget_simple_extent_ndims;
import static org.bytedeco.hdf5.global.hdf5.H5T_C_S1_g;
import static org.bytedeco.hdf5.global.hdf5.H5T_FLOAT;
import static org.bytedeco.hdf5.global.hdf5.H5T_INTEGER;
import static org.bytedeco.hdf5.global.hdf5.H5T_NATIVE_DOUBLE_g;
import static org.bytedeco.hdf5.global.hdf5.H5T_NATIVE_FLOAT_g;
import static org.bytedeco.hdf5.global.hdf5.H5T_STRING;
import static org.bytedeco.hdf5.global.hdf5.H5T_STR_NULLPAD;
import static org.bytedeco.hdf5.global.hdf5.H5T_VARIABLE;
import static org.bytedeco.hdf5.global.hdf5.H5Tclose;
import static org.bytedeco.hdf5.global.hdf5.H5Tcopy;
import static org.bytedeco.hdf5.global.hdf5.H5Tget_class;
import static org.bytedeco.hdf5.global.hdf5.H5Tget_cset;
import static org.bytedeco.hdf5.global.hdf5.H5Tget_size;
import static org.bytedeco.hdf5.global.hdf5.H5Tis_variable_str;
import static org.bytedeco.hdf5.global.hdf5.H5Treclaim;
import static org.bytedeco.hdf5.global.hdf5.H5Tset_cset;
import static org.bytedeco.hdf5.global.hdf5.H5Tset_size;
import static org.bytedeco.hdf5.global.hdf5.H5Tset_strpad;
import static org.bytedeco.hdf5.global.hdf5.H5Z_FILTER_DEFLATE;
import static org.bytedeco.hdf5.global.hdf5.H5Z_FILTER_FLETCHER32;
import static org.bytedeco.hdf5.global.hdf5.H5Z_FILTER_SHUFFLE;
import static org.bytedeco.hdf5.global.hdf5.H5open;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.errors.IscException;
import org.iscengine.io.InputLimits;

/**
 * An HDF5 file through the HDF5 C library (1.14, JavaCPP preset): float matrices, string arrays
 * and small double arrays, the pieces of descriptor files. Errors name the file, the dataset and
 * what is wrong; HDF5's own error printing is switched off. The library is not built
 * thread-safe, so every call holds one process-wide lock: files can be used from any thread, one
 * call at a time.
 */
public final class Hdf5File implements AutoCloseable {
  private static final ReentrantLock LOCK = new ReentrantLock();
  private static final byte[] SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  /**
   * How much larger than its file a compressed dataset may be. Descriptors (float noise) barely
   * compress and image ids some ten times; a hundredfold is a bomb or a lie.
   */
  static final long MAX_COMPRESSION_RATIO = 100;
  /** One chunk may always be this large, whatever the file's size (h5py's chunks stay under it). */
  static final long MIN_CHUNK_LIMIT = 1 << 20;
  /** Variable-length string descriptors read at a time (16 MB of them). */
  private static final long DESCRIPTORS_PER_READ = 1 << 20;
  /** The longest Java array. */
  private static final long MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

  static {
    LOCK.lock();
    try {
      H5open();
      H5Eset_auto2(H5E_DEFAULT(), null, null);
    } finally {
      LOCK.unlock();
    }
  }

  private final Path path;
  private long file;

  private Hdf5File(Path path, long file) {
    this.path = path;
    this.file = file;
  }

  /** Opens an existing file for reading. */
  public static Hdf5File open(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException(path + ": no such file");
    }
    if (!hasSignature(path)) {
      throw new IllegalArgumentException(path + ": not an HDF5 file (no HDF5 signature)");
    }
    LOCK.lock();
    try {
      long id = H5Fopen(path.toString(), H5F_ACC_RDONLY(), H5P_DEFAULT);
      if (id < 0) {
        throw new IscException(IscException.Kind.CORRUPT_DATA, path + ": HDF5 cannot open it (truncated or corrupt?)");
      }
      return new Hdf5File(path, id);
    } finally {
      LOCK.unlock();
    }
  }

  /** Creates (or truncates) a file for writing. Callers wanting atomic files write to a temporary one. */
  public static Hdf5File create(Path path) {
    LOCK.lock();
    try {
      long id = H5Fcreate(path.toString(), H5F_ACC_TRUNC(), H5P_DEFAULT, H5P_DEFAULT);
      if (id < 0) {
        throw new IllegalArgumentException(path + ": HDF5 cannot create it");
      }
      return new Hdf5File(path, id);
    } finally {
      LOCK.unlock();
    }
  }

  public Path path() {
    return path;
  }

  public boolean contains(String dataset) {
    LOCK.lock();
    try {
      return H5Lexists(id(), dataset, H5P_DEFAULT) > 0;
    } finally {
      LOCK.unlock();
    }
  }

  /** The dataset's dimensions. */
  public long[] shape(String dataset) {
    LOCK.lock();
    try (Dataset d = new Dataset(dataset)) {
      return d.shape();
    } finally {
      LOCK.unlock();
    }
  }

  /** A 2-D numeric dataset as a new [rows, cols] float32 CPU tensor (HDF5 converts other types). */
  public Tensor readFloatMatrix(String dataset) {
    LOCK.lock();
    try (Dataset d = new Dataset(dataset)) {
      long[] shape = d.numericShape(2, "a 2-D matrix");
      Tensor out = torch.empty(shape[0], shape[1]);
      if (out.numel() > 0 && H5Dread(d.id, H5T_NATIVE_FLOAT_g(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data_ptr()) < 0) {
        out.close();
        throw d.error("cannot read its values (truncated or corrupt file?)");
      }
      return out;
    } finally {
      LOCK.unlock();
    }
  }

  /** A 1-D numeric dataset as doubles. */
  public double[] readDoubles(String dataset) {
    LOCK.lock();
    try (Dataset d = new Dataset(dataset)) {
      long[] shape = d.numericShape(1, "a 1-D array");
      InputLimits.requireAtMost(shape[0], MAX_ARRAY_LENGTH, d.where() + ": values (one Java array)");
      try (DoublePointer buffer = new DoublePointer(Math.max(1, shape[0]))) {
        if (shape[0] > 0 && H5Dread(d.id, H5T_NATIVE_DOUBLE_g(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer) < 0) {
          throw d.error("cannot read its values (truncated or corrupt file?)");
        }
        double[] out = new double[(int) shape[0]];
        buffer.get(out);
        return out;
      }
    } finally {
      LOCK.unlock();
    }
  }

  /**
   * A 1-D string dataset, fixed-length (numpy 'S', trailing NULs or spaces dropped) or
   * variable-length (h5py string_dtype).
   */
  public List<String> readStrings(String dataset) {
    LOCK.lock();
    try (Dataset d = new Dataset(dataset)) {
      long[] shape = d.shape();
      if (shape.length != 1) {
        throw d.error("expected a 1-D array of strings, found shape " + Arrays.toString(shape));
      }
      if (H5Tget_class(d.type) != H5T_STRING) {
        throw d.error("expected strings, found " + typeName(H5Tget_class(d.type)));
      }
      d.requireStorable(shape);
      InputLimits.requireAtMost(shape[0], MAX_ARRAY_LENGTH, d.where() + ": strings (one Java list)");
      int n = (int) shape[0];
      return H5Tis_variable_str(d.type) > 0 ? d.variableStrings(n) : d.fixedStrings(n, H5Tget_size(d.type));
    } finally {
      LOCK.unlock();
    }
  }

  /** Writes a [rows, cols] tensor as a float32 dataset. */
  public void writeFloatMatrix(String dataset, Tensor matrix) {
    if (matrix.dim() != 2) {
      throw new IllegalArgumentException(dataset + ": expected a 2-D tensor, got " + matrix.dim() + "-D");
    }
    try (Tensor cpu = matrix.to(ScalarType.Float).cpu().contiguous()) {
      write(dataset, H5T_NATIVE_FLOAT_g(), new long[] {cpu.size(0), cpu.size(1)}, cpu.data_ptr());
    }
  }

  public void writeDoubles(String dataset, double[] values) {
    try (DoublePointer p = new DoublePointer(values)) {
      write(dataset, H5T_NATIVE_DOUBLE_g(), new long[] {values.length}, p);
    }
  }

  /** Writes ASCII strings as fixed-length, NUL-padded byte strings (numpy dtype 'S'). */
  public void writeStrings(String dataset, List<String> values) {
    int width = 1;
    for (String v : values) {
      if (!StandardCharsets.US_ASCII.newEncoder().canEncode(v)) {
        throw new IllegalArgumentException(dataset + ": '" + v + "' is not ASCII");
      }
      width = Math.max(width, v.length());
    }
    byte[] bytes = new byte[values.size() * width];
    for (int i = 0; i < values.size(); i++) {
      byte[] b = values.get(i).getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(b, 0, bytes, i * width, b.length);
    }
    LOCK.lock();
    try (BytePointer p = new BytePointer(Math.max(1, bytes.length))) {
      p.put(bytes);
      long type = H5Tcopy(H5T_C_S1_g());
      try {
        H5Tset_size(type, width);
        H5Tset_strpad(type, H5T_STR_NULLPAD);
        write(dataset, type, new long[] {values.size()}, p);
      } finally {
        H5Tclose(type);
      }
    } finally {
      LOCK.unlock();
    }
  }

  private void write(String dataset, long type, long[] shape, Pointer data) {
    LOCK.lock();
    try {
      long space = H5Screate_simple(shape.length, shape, (long[]) null);
      if (space < 0) {
        throw new IllegalStateException(path + ": HDF5 cannot make a dataspace of shape " + Arrays.toString(shape));
      }
      try {
        long d = H5Dcreate2(id(), dataset, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (d < 0) {
          throw new IllegalStateException(path + ": HDF5 cannot create dataset '" + dataset + "' (does it exist already?)");
        }
        try {
          long total = 1;
          for (long s : shape) {
            total *= s;
          }
          if (total > 0 && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
            throw new IllegalStateException(path + ": HDF5 cannot write dataset '" + dataset + "' (disk full?)");
          }
        } finally {
          H5Dclose(d);
        }
      } finally {
        H5Sclose(space);
      }
    } finally {
      LOCK.unlock();
    }
  }

  @Override
  public void close() {
    LOCK.lock();
    try {
      if (file >= 0) {
        int rc = H5Fclose(file);
        file = -1;
        if (rc < 0) {
          throw new IllegalStateException(path + ": HDF5 could not close (and flush) the file");
        }
      }
    } finally {
      LOCK.unlock();
    }
  }

  private long id() {
    if (file < 0) {
      throw new IllegalStateException(path + " is closed");
    }
    return file;
  }

  private static boolean hasSignature(Path path) {
    // The signature is at 0, or at 512, 1024, 2048... after a user block.
    try (InputStream in = Files.newInputStream(path)) {
      byte[] head = in.readNBytes(SIGNATURE.length);
      if (Arrays.equals(head, SIGNATURE)) {
        return true;
      }
      long offset = SIGNATURE.length;
      for (long block = 512; block <= Files.size(path) - SIGNATURE.length; block *= 2) {
        in.skipNBytes(block - offset);
        head = in.readNBytes(SIGNATURE.length);
        offset = block + SIGNATURE.length;
        if (Arrays.equals(head, SIGNATURE)) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      throw new IllegalArgumentException(path + ": cannot read it: " + e.getMessage(), e);
    }
  }

  private static String typeName(int typeClass) {
    if (typeClass == H5T_INTEGER) {
      return "integers";
    } else if (typeClass == H5T_FLOAT) {
      return "floating-point numbers";
    } else if (typeClass == H5T_STRING) {
      return "strings";
    }
    return "HDF5 type class " + typeClass;
  }

  /** An open dataset with its type and dataspace (called with the lock held). */
  private final class Dataset implements AutoCloseable {
    final String name;
    final long id;
    final long type;
    final long space;

    Dataset(String name) {
      this.name = name;
      if (H5Lexists(id(), name, H5P_DEFAULT) <= 0) {
        throw new IllegalArgumentException(path + ": no dataset '" + name + "'");
      }
      id = H5Dopen2(file, name, H5P_DEFAULT);
      if (id < 0) {
        throw new IllegalArgumentException(path + ": HDF5 cannot open dataset '" + name + "'");
      }
      type = H5Dget_type(id);
      space = H5Dget_space(id);
      if (type < 0 || space < 0) {
        close();
        throw new IscException(IscException.Kind.CORRUPT_DATA,
            path + ": HDF5 cannot read the header of dataset '" + name + "'");
      }
    }

    long[] shape() {
      int rank = H5Sget_simple_extent_ndims(space);
      if (rank < 0) {
        throw error("HDF5 cannot read its shape");
      }
      long[] dims = new long[rank];
      if (rank > 0) {
        H5Sget_simple_extent_dims(space, dims, (long[]) null);
      }
      return dims;
    }

    /**
     * Refuses a dataset whose declared extent its file cannot hold, before anything is allocated
     * for it: its elements, at their size in the file, must fit in the file's bytes, or in
     * MAX_COMPRESSION_RATIO times them when its chunks are compressed; so must one chunk, which
     * HDF5 allocates whole (chunks never written read as fill values, so an extent alone proves
     * nothing).
     */
    void requireStorable(long[] shape) {
      long elementBytes = Math.max(1, H5Tget_size(type));
      long plist = H5Dget_create_plist(id);
      if (plist < 0) {
        throw corrupt("HDF5 cannot read its storage layout");
      }
      try {
        boolean compressed = H5Pget_nfilters(plist) > 0;
        long fileBytes = fileBytes();
        long limit = compressed ? fileBytes * MAX_COMPRESSION_RATIO : fileBytes;
        requireWithin(shape, elementBytes, limit, fileBytes, compressed, "declares shape");
        if (H5Pget_layout(plist) == H5D_CHUNKED) {
          long[] chunk = new long[shape.length];
          if (H5Pget_chunk(plist, chunk.length, chunk) != chunk.length) {
            throw corrupt("HDF5 cannot read its chunk shape");
          }
          requireWithin(chunk, elementBytes, Math.max(limit, MIN_CHUNK_LIMIT), fileBytes, compressed,
              "declares chunks of shape");
        }
      } finally {
        H5Pclose(plist);
      }
    }

    private void requireWithin(long[] shape, long elementBytes, long limit, long fileBytes, boolean compressed,
        String declares) {
      long bytes = InputLimits.bytes(InputLimits.elements(shape, where()), elementBytes, where());
      if (bytes > limit) {
        throw corrupt(declares + " " + Arrays.toString(shape) + " of " + elementBytes + "-byte elements (" + bytes
            + " bytes), more than the file's " + fileBytes + " bytes can hold"
            + (compressed ? " even compressed " + MAX_COMPRESSION_RATIO + " to 1" : ""));
      }
    }

    private long fileBytes() {
      long[] size = new long[1];
      if (H5Fget_filesize(file, size) < 0) {
        throw corrupt("HDF5 cannot tell the file's size");
      }
      return size[0];
    }

    String where() {
      return path + ", dataset '" + name + "'";
    }

    IscException corrupt(String what) {
      return new IscException(IscException.Kind.CORRUPT_DATA, where() + ": " + what);
    }

    /** Its shape, after checking that it has {@code rank} dimensions, numbers and an extent its file can hold. */
    long[] numericShape(int rank, String expected) {
      long[] shape = shape();
      if (shape.length != rank) {
        throw error("expected " + expected + ", found shape " + Arrays.toString(shape));
      }
      requireNumeric();
      requireStorable(shape);
      return shape;
    }

    private void requireNumeric() {
      int c = H5Tget_class(type);
      if (c != H5T_FLOAT && c != H5T_INTEGER) {
        throw error("expected numbers, found " + typeName(c));
      }
    }

    List<String> fixedStrings(int n, long width) {
      long total = InputLimits.bytes(n, width, where());
      InputLimits.requireAtMost(total, MAX_ARRAY_LENGTH, where() + ": bytes of its strings (one Java array)");
      long memType = H5Tcopy(H5T_C_S1_g());
      try (BytePointer buffer = new BytePointer(Math.max(1, total))) {
        H5Tset_size(memType, width);
        H5Tset_strpad(memType, H5T_STR_NULLPAD);
        H5Tset_cset(memType, H5Tget_cset(type));  // ASCII or UTF-8, as stored: HDF5 converts neither way
        if (n > 0 && H5Dread(id, memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer) < 0) {
          throw error("cannot read its strings (truncated or corrupt file?)");
        }
        byte[] bytes = new byte[(int) total];
        buffer.get(bytes);
        int w = (int) width;
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          int start = i * w;
          int end = start;
          while (end < start + w && bytes[end] != 0) {
            end++;
          }
          while (end > start && bytes[end - 1] == ' ') {
            end--;  // space-padded (Fortran-style) strings
          }
          out.add(new String(bytes, start, end - start, StandardCharsets.UTF_8));
        }
        return out;
      } finally {
        H5Tclose(memType);
      }
    }

    List<String> variableStrings(int n) {
      requireStringsStored(n);
      long memType = H5Tcopy(H5T_C_S1_g());
      try (PointerPointer<BytePointer> buffer = new PointerPointer<>(Math.max(1, n))) {
        H5Tset_size(memType, H5T_VARIABLE());
        H5Tset_cset(memType, H5Tget_cset(type));
        if (n > 0 && H5Dread(id, memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer) < 0) {
          throw error("cannot read its strings (truncated or corrupt file?)");
        }
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          BytePointer s = buffer.get(BytePointer.class, i);
          out.add(s == null || s.isNull() ? "" : s.getString(StandardCharsets.UTF_8));
        }
        if (n > 0) {
          H5Treclaim(memType, space, H5P_DEFAULT, buffer);
        }
        return out;
      } finally {
        H5Tclose(memType);
      }
    }

    /**
     * Refuses variable-length strings that declare more bytes than the file holds, before HDF5
     * reads them: HDF5 allocates and clears a buffer of each string's declared length before it
     * reads the string from the file's global heap, so one damaged length costs seconds and
     * gigabytes. The lengths come from the strings' descriptors (a 4-byte length, the heap's
     * address, a 4-byte index) where the dataset keeps them: contiguous, or in chunks (deflate,
     * shuffle and Fletcher-32 undone here). Compact storage, inside the dataset's header, cannot
     * be reached so and is refused, as are descriptors in external files.
     */
    void requireStringsStored(long n) {
      if (n == 0) {
        return;
      }
      StringHeap heap = new StringHeap();
      long fileBytes = heap.fileBytes;
      long descriptor = heap.descriptorBytes;
      long plist = H5Dget_create_plist(id);
      if (plist < 0) {
        throw corrupt("HDF5 cannot read its storage layout");
      }
      try {
        if (H5Pget_external_count(plist) != 0) {
          throw unsupported("variable-length strings stored in external files");
        }
        int layout = H5Pget_layout(plist);
        if (layout == H5D_CONTIGUOUS) {
          long offset = H5Dget_offset(id);
          if (offset == -1 && H5Dget_storage_size(id) == 0) {
            return;  // never written: every string is the fill value
          }
          if (offset < 0 || n > (fileBytes - offset) / descriptor) {
            throw corrupt("its " + n + " string descriptors of " + descriptor + " bytes at byte " + offset
                + " do not fit in the file's " + fileBytes + " bytes");
          }
          for (long first = 0; first < n; first += DESCRIPTORS_PER_READ) {
            long count = Math.min(DESCRIPTORS_PER_READ, n - first);
            heap.check(read(offset + first * descriptor, count * descriptor), count, first);
          }
        } else if (layout == H5D_CHUNKED) {
          requireChunkedStringsStored(plist, n, heap);
        } else {
          throw unsupported("variable-length strings in compact storage (their lengths cannot be checked before HDF5"
              + " allocates them)");
        }
      } finally {
        H5Pclose(plist);
      }
    }

    private void requireChunkedStringsStored(long plist, long n, StringHeap heap) {
      long fileBytes = heap.fileBytes;
      long descriptor = heap.descriptorBytes;
      long[] chunk = new long[1];
      if (H5Pget_chunk(plist, 1, chunk) != 1 || chunk[0] < 1) {
        throw corrupt("HDF5 cannot read its chunk shape");
      }
      long chunkBytes = InputLimits.bytes(chunk[0], descriptor, where());
      if (chunkBytes > Math.min(Math.max(fileBytes * MAX_COMPRESSION_RATIO, MIN_CHUNK_LIMIT), MAX_ARRAY_LENGTH)) {
        throw corrupt("declares chunks of " + chunk[0] + " strings (" + chunkBytes + " bytes of descriptors), more than"
            + " the file's " + fileBytes + " bytes can hold");
      }
      int filters = H5Pget_nfilters(plist);
      int[] filter = new int[Math.max(0, filters)];
      int[] elementSize = new int[filter.length];  // the shuffle filter's parameter
      for (int i = 0; i < filter.length; i++) {
        int[] values = new int[4];
        try (SizeTPointer count = new SizeTPointer(1).put(values.length)) {
          filter[i] = H5Pget_filter2(plist, i, new int[1], count, values, 0, null, new int[1]);
          elementSize[i] = count.get() > 0 ? values[0] : (int) descriptor;
        }
      }
      long[] origin = new long[1];
      int[] mask = new int[1];
      long[] address = new long[1];
      long[] size = new long[1];
      for (long first = 0; first < n; first += chunk[0]) {
        origin[0] = first;
        if (H5Dget_chunk_info_by_coord(id, origin, mask, address, size) < 0) {
          throw corrupt("HDF5 cannot find its chunk at string " + first);
        }
        if (address[0] == -1) {
          continue;  // never written: fill values
        }
        if (size[0] < 0 || size[0] > Math.min(fileBytes, MAX_ARRAY_LENGTH)) {
          throw corrupt("its chunk at string " + first + " claims " + size[0] + " bytes, more than the file's "
              + fileBytes);
        }
        byte[] bytes = new byte[(int) size[0]];
        try (BytePointer buffer = new BytePointer(Math.max(1, size[0]))) {
          if (H5Dread_chunk(id, H5P_DEFAULT, origin, new int[1], buffer) < 0) {
            throw corrupt("HDF5 cannot read its chunk at string " + first);
          }
          buffer.get(bytes);
        }
        for (int i = filter.length - 1; i >= 0; i--) {
          if ((mask[0] & (1 << i)) == 0) {
            bytes = unfilter(filter[i], elementSize[i], bytes, chunkBytes, first);
          }
        }
        long strings = Math.min(chunk[0], n - first);
        if (bytes.length < strings * descriptor) {
          throw corrupt("its chunk at string " + first + " holds " + bytes.length + " bytes, not " + strings
              + " string descriptors");
        }
        heap.check(ByteBuffer.wrap(bytes), strings, first);
      }
    }

    private byte[] unfilter(int filter, int elementSize, byte[] bytes, long chunkBytes, long first) {
      if (filter == H5Z_FILTER_DEFLATE) {
        Inflater inflater = new Inflater();
        try {
          inflater.setInput(bytes);
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          byte[] step = new byte[1 << 16];
          while (!inflater.finished()) {
            int length = inflater.inflate(step);
            if (length == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
              throw corrupt("its chunk at string " + first + " ends before it inflates whole");
            }
            out.write(step, 0, length);
            if (out.size() > chunkBytes) {
              throw corrupt("its chunk at string " + first + " inflates to more than its " + chunkBytes + " bytes");
            }
          }
          return out.toByteArray();
        } catch (DataFormatException e) {
          throw corrupt("its chunk at string " + first + " does not inflate: " + e.getMessage());
        } finally {
          inflater.end();
        }
      } else if (filter == H5Z_FILTER_SHUFFLE) {
        if (elementSize < 1) {
          throw corrupt("a shuffle filter of " + elementSize + "-byte elements");
        }
        byte[] out = bytes.clone();  // HDF5 shuffles whole elements and leaves the rest as it is
        int elements = bytes.length / elementSize;
        for (int b = 0; b < elementSize; b++) {
          for (int e = 0; e < elements; e++) {
            out[e * elementSize + b] = bytes[b * elements + e];
          }
        }
        return out;
      } else if (filter == H5Z_FILTER_FLETCHER32) {
        if (bytes.length < 4) {
          throw corrupt("its chunk at string " + first + " is shorter than its checksum");
        }
        return Arrays.copyOf(bytes, bytes.length - 4);
      }
      throw unsupported("variable-length strings through HDF5 filter " + filter);
    }

    /** Bytes of the file (as it is on disk, HDF5's own addresses being absolute here). */
    private ByteBuffer read(long offset, long bytes) {
      ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(bytes));
      try (FileChannel channel = FileChannel.open(path)) {
        while (buffer.hasRemaining()) {
          if (channel.read(buffer, offset + buffer.position()) < 0) {
            throw corrupt("the file ends before its string descriptors");
          }
        }
      } catch (IOException e) {
        throw new IscException(IscException.Kind.CORRUPT_DATA, where() + ": cannot read it: " + e.getMessage(), e);
      }
      return buffer.flip();
    }

    /**
     * The global heap behind variable-length strings, checked as HDF5 will parse it, before HDF5
     * reads it: each string's descriptor must name an object its heap collection holds, of the
     * length the descriptor declares, and the declared lengths together must fit in the file.
     * HDF5 1.14.3 copies an object before it compares its size, and takes an object index past its
     * collection's objects on trust (a crash).
     */
    private final class StringHeap {
      private static final int SIGNATURE = 'G' | 'C' << 8 | 'O' << 16 | 'L' << 24;

      final long fileBytes;
      final long descriptorBytes;
      private final int addressBytes;
      private final int lengthBytes;
      private final long base;
      private final Map<Long, Map<Integer, Long>> collections = new HashMap<>();
      private long declared;
      private long parsed;

      StringHeap() {
        fileBytes = fileBytes();
        long plist = H5Fget_create_plist(file);
        if (plist < 0) {
          throw corrupt("HDF5 cannot read the file's creation properties");
        }
        try (SizeTPointer address = new SizeTPointer(1); SizeTPointer length = new SizeTPointer(1)) {
          long[] userBlock = new long[1];
          if (H5Pget_sizes(plist, address, length) < 0 || H5Pget_userblock(plist, userBlock) < 0
              || address.get() < 2 || address.get() > 8 || length.get() < 2 || length.get() > 8) {
            throw corrupt("HDF5 cannot tell the size of the file's addresses and lengths");
          }
          addressBytes = (int) address.get();
          lengthBytes = (int) length.get();
          base = userBlock[0];
          descriptorBytes = 8 + addressBytes;
        } finally {
          H5Pclose(plist);
        }
      }

      /** Checks count descriptors, the first being string number first. */
      void check(ByteBuffer descriptors, long count, long first) {
        descriptors.order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < count; i++) {
          int at = (int) (i * descriptorBytes);
          long string = first + i;
          long length = Integer.toUnsignedLong(descriptors.getInt(at));
          long address = unsigned(descriptors, at + 4, addressBytes);
          long index = Integer.toUnsignedLong(descriptors.getInt(at + 4 + addressBytes));
          declared += length;
          if (declared > fileBytes) {
            throw corrupt("its strings declare more bytes than the file's " + fileBytes + " hold (" + declared
                + " by string " + string + ", which declares " + length + ")");
          }
          if (address == 0) {
            continue;  // a null string
          }
          Long size = index > 0xffff ? null : collection(address, string).get((int) index);
          if (size == null) {
            throw corrupt("string " + string + " is object " + index + " of the heap collection at byte " + address
                + ", which holds no such object");
          }
          if (size != length) {
            throw corrupt("string " + string + " declares " + length + " bytes, its heap object holds " + size);
          }
        }
      }

      /** The sizes of a collection's objects by index, parsed as HDF5 parses them, but checked. */
      private Map<Integer, Long> collection(long address, long string) {
        Map<Integer, Long> known = collections.get(address);
        if (known != null) {
          return known;
        }
        long header = align8(8 + lengthBytes);
        long objectHeader = 8 + lengthBytes;
        if (address < 0 || address > fileBytes - base - header) {
          throw corrupt("string " + string + " is in a heap collection at byte " + Long.toUnsignedString(address)
              + ", past the file's " + fileBytes + " bytes");
        }
        long at = base + address;
        ByteBuffer head = read(at, header).order(ByteOrder.LITTLE_ENDIAN);
        if (head.getInt(0) != SIGNATURE || head.get(4) != 1) {
          throw corrupt("string " + string + " is in a heap collection at byte " + address
              + ", where there is none");
        }
        long size = unsigned(head, 8, lengthBytes);
        if (size < header + objectHeader || size > fileBytes - at || size > MAX_ARRAY_LENGTH) {
          throw corrupt("the heap collection at byte " + address + " declares " + Long.toUnsignedString(size)
              + " bytes, in a file of " + fileBytes);
        }
        parsed += size;
        if (parsed > fileBytes) {
          throw corrupt("the heap collections of its strings overlap (" + parsed + " bytes of them in a file of "
              + fileBytes + ")");
        }
        ByteBuffer chunk = read(at, size).order(ByteOrder.LITTLE_ENDIAN);
        Map<Integer, Long> objects = new HashMap<>();
        for (long p = header; p + objectHeader <= size; ) {  // a tail too small for an object is free space
          int index = Short.toUnsignedInt(chunk.getShort((int) p));
          long objectSize = unsigned(chunk, (int) p + 8, lengthBytes);
          // The free space (object 0) counts its own header; the objects' data is padded to 8 bytes.
          long need = objectSize < 0 || objectSize > size ? -1
              : index > 0 ? objectHeader + align8(objectSize) : objectSize;
          if (need < objectHeader || need > size - p) {
            throw corrupt("the heap collection at byte " + address + " has an object " + index + " of "
                + Long.toUnsignedString(objectSize) + " bytes at byte " + p + " of its " + size);
          }
          if (index > 0) {
            objects.put(index, objectSize);  // as in HDF5, a later object of the same index wins
          }
          p += need;
        }
        collections.put(address, objects);
        return objects;
      }

      private static long align8(long bytes) {
        return (bytes + 7) / 8 * 8;
      }

      private static long unsigned(ByteBuffer bytes, int at, int width) {
        long value = 0;
        for (int i = width - 1; i >= 0; i--) {
          value = value << 8 | Byte.toUnsignedLong(bytes.get(at + i));
        }
        return value;
      }
    }

    IscException unsupported(String what) {
      return new IscException(IscException.Kind.UNSUPPORTED, where() + ": " + what);
    }

    IllegalArgumentException error(String what) {
      return new IllegalArgumentException(path + ", dataset '" + name + "': " + what);
    }

    @Override
    public void close() {
      if (space >= 0) {
        H5Sclose(space);
      }
      if (type >= 0) {
        H5Tclose(type);
      }
      if (id >= 0) {
        H5Dclose(id);
      }
    }
  }
}
