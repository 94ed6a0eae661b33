package org.iscengine.search;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.errors.IscException;
import org.iscengine.io.BinaryFormat;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.Knn;
import org.iscengine.kernels.KnnPrecision;
import org.iscengine.kernels.KnnResult;
import org.iscengine.kernels.KnnStream;
import org.iscengine.kernels.Metric;
import org.iscengine.kernels.TensorChecks;
import org.iscengine.kernels.Tensors;
import org.iscengine.runtime.ComputeDevice;

/**
 * Exact search with the project's kNN kernel: vectors held as one float32 tensor on the CPU or a
 * GPU, searched by brute force with the top-k fused into the scan. No training. Saved in its own
 * format ({@link #FORMAT}).
 */
public final class ExactIndex implements VectorIndex {
  /**
   * Payload: dimension, metric code, count, the vectors (little-endian float32), then a flag and
   * the ids when they are not the row numbers.
   */
  static final BinaryFormat FORMAT = new BinaryFormat("isc-exact-index", 2);

  /** Version 1 was not framed: this magic, the same payload, then a CRC-32 of both. */
  private static final byte[] MAGIC_V1 = {'I', 'S', 'C', 'X', 'I', 'D', 'X', '1'};

  /** References searched per kernel call, bounding the memory of one call. */
  private static final long SEARCH_CHUNK = 1L << 20;

  /** Range search works on score blocks of this many queries x references. */
  private static final int RANGE_QUERY_BLOCK = 256;

  private static final int RANGE_REF_BLOCK = 1 << 16;

  private final IndexLock lock = new IndexLock("exact index");
  private final int dim;
  private final Metric metric;
  private final ComputeDevice device;
  private final KnnPrecision precision;
  private Tensor storage;  // [capacity, dim]; rows [0, size) in use
  private long size;
  private long[] ids;      // null while every id equals its row number
  private Map<Long, Long> rowOf;  // id -> row, built by the first removal; null until then or when ids repeat

  /** An empty exact index on the CPU. */
  public ExactIndex(int dim, Metric metric) {
    this(dim, metric, ComputeDevice.CPU, KnnPrecision.FP32);
  }

  /** An empty exact index on a device, searched with this arithmetic (see {@link KnnPrecision}). */
  public ExactIndex(int dim, Metric metric, ComputeDevice device, KnnPrecision precision) {
    if (dim < 1) {
      throw new IllegalArgumentException("dimension must be >= 1, got " + dim);
    }
    this.dim = dim;
    this.metric = metric;
    this.device = device;
    this.precision = precision;
    this.storage = allocate(Math.max(1, Math.min(1024, INITIAL_FLOATS / dim)));
  }

  @Override
  public int dimension() {
    return dim;
  }

  @Override
  public Metric metric() {
    return metric;
  }

  @Override
  public long size() {
    return lock.read(() -> size);
  }

  @Override
  public boolean isTrained() {
    return true;
  }

  /** Nothing to learn; checks the vectors only. */
  @Override
  public void train(Tensor vectors) {
    try (Tensor checked = Vectors.host("training vectors", vectors, dim)) {
      // an exact index has no parameters
    }
  }

  @Override
  public void add(Tensor vectors) {
    append(vectors, null);
  }

  @Override
  public void add(Tensor vectors, long[] newIds) {
    if (newIds == null) {
      throw new IllegalArgumentException("ids are null");
    }
    append(vectors, newIds);
  }

  private void append(Tensor vectors, long[] newIds) {
    TensorChecks.matrix("vectors", vectors);
    if (vectors.size(1) != dim) {
      throw new IllegalArgumentException("dimension mismatch: vectors have d=" + vectors.size(1) + ", the index d=" + dim);
    }
    long n = vectors.size(0);
    if (newIds != null && newIds.length != n) {
      throw new IllegalArgumentException("got " + newIds.length + " ids for " + n + " vectors");
    }
    lock.write(() -> {
      reserve(size + n);
      try (Tensor target = storage.narrow(0, size, n)) {
        target.copy_(vectors);
      }
      if (newIds != null || ids != null) {
        long[] all = ids == null ? rowNumbers(size + n)  // grown geometrically: one add per reference stays O(1)
            : ids.length >= size + n ? ids : Arrays.copyOf(ids, (int) Math.max(size + n, 2L * ids.length));
        for (int i = 0; i < n; i++) {
          all[(int) size + i] = newIds != null ? newIds[i] : size + i;
          if (rowOf != null && rowOf.put(all[(int) size + i], size + i) != null) {
            rowOf = null;  // a repeated id: removals scan
          }
        }
        ids = all;
      }
      size += n;
      return null;
    });
  }

  @Override
  public Neighbors search(Tensor queries, int k) {
    TensorChecks.matrix("queries", queries);
    TensorChecks.k(k);
    if (queries.size(1) != dim) {
      throw new IllegalArgumentException("dimension mismatch: queries have d=" + queries.size(1) + ", the index d=" + dim);
    }
    return lock.read(() -> {
      if (k > size) {
        throw new IllegalArgumentException("k=" + k + " exceeds the number of vectors in the index (" + size + ")");
      }
      try (Tensor onDevice = toDevice(queries);
          KnnStream stream = Knn.stream(onDevice, k, metric, precision)) {
        for (long from = 0; from < size; from += SEARCH_CHUNK) {
          try (Tensor chunk = storage.narrow(0, from, Math.min(SEARCH_CHUNK, size - from))) {
            stream.addChecked(chunk, from);
          }
        }
        try (KnnResult result = stream.result()) {
          long[] found = result.idArray();
          if (ids != null) {
            for (int i = 0; i < found.length; i++) {
              found[i] = found[i] < 0 ? -1 : ids[(int) found[i]];
            }
          }
          return new Neighbors(result.queries(), k, metric, result.scoreArray(), found);
        }
      }
    });
  }

  @Override
  public RangeNeighbors rangeSearch(Tensor queries, float radius) {
    TensorChecks.matrix("queries", queries);
    if (queries.size(1) != dim) {
      throw new IllegalArgumentException("dimension mismatch: queries have d=" + queries.size(1) + ", the index d=" + dim);
    }
    return lock.read(() -> {
      int n = (int) queries.size(0);
      List<List<Long>> hitIds = new ArrayList<>();
      List<List<Float>> hitScores = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        hitIds.add(new ArrayList<>());
        hitScores.add(new ArrayList<>());
      }
      // Blocks of queries x references keep the score matrix small.
      try (Tensor q = toDevice(queries)) {
        for (int q0 = 0; q0 < n; q0 += RANGE_QUERY_BLOCK) {
          int nq = Math.min(RANGE_QUERY_BLOCK, n - q0);
          for (long r0 = 0; r0 < size; r0 += RANGE_REF_BLOCK) {
            int nr = (int) Math.min(RANGE_REF_BLOCK, size - r0);
            try (Tensor qb = q.narrow(0, q0, nq);
                Tensor rb = storage.narrow(0, r0, nr);
                Tensor scores = Knn.scoreMatrix(qb, rb, metric)) {
              float[] block = HostTensors.toArray(scores);
              for (int i = 0; i < nq; i++) {
                for (int j = 0; j < nr; j++) {
                  float s = block[i * nr + j];
                  if (within(s, radius)) {
                    hitIds.get(q0 + i).add(ids != null ? ids[(int) r0 + j] : r0 + j);
                    hitScores.get(q0 + i).add(s);
                  }
                }
              }
            }
          }
        }
      }
      long[] offsets = new long[n + 1];
      for (int i = 0; i < n; i++) {
        offsets[i + 1] = offsets[i] + hitIds.get(i).size();
      }
      long[] flatIds = new long[(int) offsets[n]];
      float[] flatScores = new float[(int) offsets[n]];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < hitIds.get(i).size(); j++) {
          flatIds[(int) offsets[i] + j] = hitIds.get(i).get(j);
          flatScores[(int) offsets[i] + j] = hitScores.get(i).get(j);
        }
      }
      return Vectors.sortedRanges(metric, offsets, flatIds, flatScores);
    });
  }

  /** As FAISS: inner products above the radius, squared distances below it. */
  private boolean within(float score, float radius) {
    return metric == Metric.L2 ? score < radius : score > radius;
  }

  /**
   * Moves the last row into each removed one: O(dimension) per removed id once the id map exists
   * (the first removal builds it). Ids that repeat fall back to one scan of every row.
   */
  @Override
  public long remove(long[] removeIds) {
    if (removeIds == null) {
      throw new IllegalArgumentException("ids are null");
    }
    return lock.write(() -> {
      if (ids == null) {
        ids = rowNumbers(size);
      }
      if (rowOf == null) {
        rowOf = rowsById();
      }
      return rowOf != null ? removeByMovingLastRows(removeIds) : removeByScan(removeIds);
    });
  }

  private Map<Long, Long> rowsById() {
    Map<Long, Long> rows = new HashMap<>();
    for (long row = 0; row < size; row++) {
      if (rows.put(ids[(int) row], row) != null) {
        return null;
      }
    }
    return rows;
  }

  private long removeByMovingLastRows(long[] removeIds) {
    long removed = 0;
    for (long id : removeIds) {
      Long row = rowOf.remove(id);
      if (row == null) {
        continue;
      }
      long last = size - 1;
      if (row != last) {
        try (Tensor from = storage.narrow(0, last, 1);
            Tensor to = storage.narrow(0, row, 1)) {
          to.copy_(from);
        }
        ids[(int) (long) row] = ids[(int) last];
        rowOf.put(ids[(int) last], row);
      }
      size--;
      removed++;
    }
    return removed;
  }

  private long removeByScan(long[] removeIds) {
    Set<Long> gone = new HashSet<>();
    for (long id : removeIds) {
      gone.add(id);
    }
    long[] kept = new long[(int) size];
    int n = 0;
    for (int row = 0; row < size; row++) {
      if (!gone.contains(ids[row])) {
        kept[n] = row;
        ids[n++] = ids[row];
      }
    }
    long removed = size - n;
    if (removed > 0) {
      try (Tensor rows = Tensors.longsLike(storage, Arrays.copyOf(kept, n));
          Tensor survivors = storage.index_select(0, rows);
          Tensor target = storage.narrow(0, 0, n)) {
        target.copy_(survivors);
      }
      size = n;
    }
    return removed;
  }

  @Override
  public void reset() {
    lock.write(() -> {
      size = 0;
      ids = null;
      rowOf = null;
      return null;
    });
  }

  @Override
  public ExactIndex copy() {
    return lock.read(() -> {
      ExactIndex copy = new ExactIndex(dim, metric, device, precision);
      copy.reserve(size);
      if (size > 0) {
        try (Tensor from = storage.narrow(0, 0, size);
            Tensor to = copy.storage.narrow(0, 0, size)) {
          to.copy_(from);
        }
      }
      copy.size = size;
      copy.ids = ids == null ? null : Arrays.copyOf(ids, (int) size);
      return copy;
    });
  }

  /** The vectors held, [size, dimension] float32 on the CPU, in the order of {@link #ids()}. */
  public Tensor vectors() {
    return lock.read(() -> {
      try (Tensor rows = storage.narrow(0, 0, size);
          Tensor host = rows.cpu()) {
        return host.clone();  // contiguous, and apart from the storage
      }
    });
  }

  /** The id of each vector, in the order of {@link #vectors()}. */
  public long[] ids() {
    return lock.read(() -> ids == null ? rowNumbers(size) : Arrays.copyOf(ids, (int) size));
  }

  @Override
  public void save(Path path) {
    lock.read(() -> {
      FORMAT.write(path, out -> {
        try (Tensor rows = storage.narrow(0, 0, size);
            Tensor host = rows.cpu().contiguous();
            FloatPointer p = HostTensors.floats(host)) {
          out.writeInt(dim);
          out.writeInt(metric.code());
          out.writeLong(size);
          out.writeBoolean(ids != null);
          byte[] block = new byte[dim * 4 * 256];
          float[] values = new float[dim * 256];
          ByteBuffer buffer = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
          for (long from = 0; from < size; from += 256) {
            int rowsHere = (int) Math.min(256, size - from);
            p.position(from * dim).get(values, 0, rowsHere * dim);
            buffer.clear();
            buffer.asFloatBuffer().put(values, 0, rowsHere * dim);
            out.write(block, 0, rowsHere * dim * 4);
          }
          if (ids != null) {
            for (long i = 0; i < size; i++) {
              out.writeLong(ids[(int) i]);
            }
          }
        }
      });
      return null;
    });
  }

  /** Whether the file is an exact index (of any version). */
  static boolean isExactIndex(Path path) {
    return FORMAT.matches(path) || isVersion1(path);
  }

  /** Reads an index written by {@link #save} onto the CPU. */
  public static ExactIndex load(Path path) {
    return load(path, ComputeDevice.CPU, KnnPrecision.FP32);
  }

  public static ExactIndex load(Path path, ComputeDevice device, KnnPrecision precision) {
    if (isVersion1(path)) {
      return loadVersion1(path, device, precision);
    }
    return FORMAT.read(path, in -> readPayload(in.data(), in, path, device, precision));
  }

  private static boolean isVersion1(Path path) {
    try (InputStream in = Files.newInputStream(path)) {
      return Arrays.equals(in.readNBytes(MAGIC_V1.length), MAGIC_V1);
    } catch (IOException e) {
      return false;
    }
  }

  private static ExactIndex loadVersion1(Path path, ComputeDevice device, KnnPrecision precision) {
    CRC32 crc = new CRC32();
    try (InputStream file = Files.newInputStream(path);
        CheckedInputStream checked = new CheckedInputStream(new BufferedInputStream(file, 1 << 20), crc);
        DataInputStream in = new DataInputStream(checked)) {
      in.skipNBytes(MAGIC_V1.length);
      long payload = Files.size(path) - MAGIC_V1.length - 8;
      ExactIndex index = readPayload(in, (bytes, what) -> {
        if (bytes < 0 || bytes > payload) {
          throw new IscException(IscException.Kind.CORRUPT_DATA,
              path + ": corrupt file: truncated (" + what + " claims " + bytes
              + " bytes where the file holds " + payload + ")");
        }
      }, path, device, precision);
      long expected = crc.getValue();
      if (in.readLong() != expected) {
        index.close();
        throw new IscException(IscException.Kind.CORRUPT_DATA, path + ": corrupt file: checksum mismatch");
      }
      return index;
    } catch (EOFException e) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, path + ": corrupt file: truncated", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /** Floats an empty index holds room for (1 024 rows of up to 1 024 floats, 4 MB), however wide its rows. */
  private static final int INITIAL_FLOATS = 1 << 20;

  /** Rows read per block while loading: about 4 MB of floats. */
  private static final int LOAD_BLOCK_FLOATS = 1 << 20;

  private static ExactIndex readPayload(DataInputStream in, BinaryFormat.Bounds bounds, Path path,
      ComputeDevice device, KnnPrecision precision) throws IOException {
    int dim = in.readInt();
    int metricCode = in.readInt();
    long size = in.readLong();
    boolean hasIds = in.readBoolean();
    if (dim < 1 || dim > LOAD_BLOCK_FLOATS || size < 0 || size > Integer.MAX_VALUE) {
      throw new IscException(IscException.Kind.CORRUPT_DATA,
          path + ": corrupt file: dimension " + dim + ", size " + size);
    }
    Metric metric;
    try {
      metric = Metric.ofCode(metricCode);
    } catch (IllegalArgumentException e) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, path + ": corrupt file: " + e.getMessage(), e);
    }
    bounds.require(payloadBytes(size, dim, hasIds), size + " vectors of dimension " + dim);
    ExactIndex index = new ExactIndex(dim, metric, device, precision);
    try {
      index.reserve(size);
      int blockRows = LOAD_BLOCK_FLOATS / dim;
      byte[] bytes = new byte[blockRows * dim * 4];
      for (long from = 0; from < size; from += blockRows) {
        int rows = (int) Math.min(blockRows, size - from);
        float[] values = new float[rows * dim];
        in.readFully(bytes, 0, values.length * 4);
        ByteBuffer.wrap(bytes, 0, values.length * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        try (Tensor block = HostTensors.tensor(values, rows, dim)) {
          index.add(block);
        }
      }
      if (hasIds) {
        long[] ids = new long[(int) size];
        for (int i = 0; i < size; i++) {
          ids[i] = in.readLong();
        }
        index.ids = ids;
      }
      return index;
    } catch (RuntimeException | IOException e) {
      index.close();
      throw e;
    }
  }

  /**
   * Bytes of the payload after its header: the float32 rows, then their ids when stored. No int
   * holds them past about 4.2 M rows of 128 floats; a count that no long holds is corrupt.
   */
  static long payloadBytes(long rows, int dim, boolean hasIds) {
    try {
      long vectors = Math.multiplyExact(Math.multiplyExact(rows, dim), 4L);
      return hasIds ? Math.addExact(vectors, Math.multiplyExact(rows, 8L)) : vectors;
    } catch (ArithmeticException e) {
      throw new IscException(IscException.Kind.CORRUPT_DATA,
          "corrupt file: " + rows + " rows of dimension " + dim + " exceed any file size");
    }
  }

  @Override
  public void close() {
    lock.close(storage::close);
  }

  private Tensor allocate(long rows) {
    try (Device d = device.torchDevice();
        TensorOptions options = Tensors.options(d, ScalarType.Float)) {
      return torch.zeros(new long[] {rows, dim}, options);
    }
  }

  /** Grows the storage geometrically so that `rows` fit. */
  private void reserve(long rows) {
    long capacity = storage.size(0);
    if (rows <= capacity) {
      return;
    }
    long grown = Math.max(rows, capacity * 2);
    Tensor bigger = allocate(grown);
    if (size > 0) {
      try (Tensor from = storage.narrow(0, 0, size);
          Tensor to = bigger.narrow(0, 0, size)) {
        to.copy_(from);
      }
    }
    storage.close();
    storage = bigger;
  }

  private Tensor toDevice(Tensor t) {
    if (t.is_cuda() == device.isCuda()) {
      return new Tensor(t);
    }
    try (Device d = device.torchDevice()) {
      return t.to(d, ScalarType.Float);
    }
  }

  private static long[] rowNumbers(long n) {
    long[] rows = new long[(int) n];
    for (int i = 0; i < n; i++) {
      rows[i] = i;
    }
    return rows;
  }
}
