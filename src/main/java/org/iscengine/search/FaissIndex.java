package org.iscengine.search;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.errors.IscException;
import org.iscengine.io.AtomicFile;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.Metric;
import org.iscengine.kernels.binding.IscAbi;
import org.iscengine.kernels.binding.KernelException;
import org.iscengine.runtime.NativeLibrary;
import org.iscengine.search.binding.IscFaiss;

/**
 * A FAISS index (Debian's libfaiss 1.7.3, CPU) built from an index_factory description such as
 * "Flat", "IDMap,Flat", "IVF1024,PQ32", "HNSW32" or "PCAW256,IVF1024,Flat". Vectors on a GPU are
 * copied to the host. FAISS's refusals (an unknown description, an untrained index, add_with_ids on
 * an index without an id map) follow from the description the caller chose: they come back as
 * {@link IllegalArgumentException} with FAISS's message; other failures (memory, a FAISS bug) as a
 * {@link KernelException} of that kind.
 */
public final class FaissIndex implements VectorIndex {
  private final IndexLock lock = new IndexLock("FAISS index");
  private final IscFaiss.Index handle;

  private FaissIndex(IscFaiss.Index handle) {
    this.handle = handle;
  }

  /** A new empty index: faiss::index_factory(dim, description, metric). */
  public static FaissIndex create(int dim, String description, Metric metric) {
    if (dim < 1) {
      throw new IllegalArgumentException("dimension must be >= 1, got " + dim);
    }
    if (description == null || description.isBlank()) {
      throw new IllegalArgumentException("index description is empty");
    }
    NativeLibrary.FAISS.require();
    IscFaiss.Index out = new IscFaiss.Index();
    try (IscAbi.Status status = new IscAbi.Status()) {
      check(IscFaiss.indexFactory(dim, description, metric.code(), out, status), status,
          () -> "index_factory(\"" + description + "\")");
    }
    return new FaissIndex(out);
  }

  /**
   * An index written by {@link #save} (or by FAISS's write_index).
   *
   * @throws IscException of kind CORRUPT_DATA naming the file and the damage when its contents are
   *     not a consistent index (counts the file cannot hold, an id map of another length)
   */
  public static FaissIndex read(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException("index file not found: " + path);
    }
    NativeLibrary.FAISS.require();
    IscFaiss.Index out = new IscFaiss.Index();
    try (IscAbi.Status status = new IscAbi.Status()) {
      int code = IscFaiss.read(path.toString(), out, status);
      if (code != IscAbi.OK) {
        String message = "cannot read FAISS index " + path + ": " + status.message().getString();
        throw code == IscAbi.INVALID_ARGUMENT ? new IllegalArgumentException(message) : new KernelException(code, message);
      }
    }
    return new FaissIndex(out);
  }

  /** Threads FAISS uses (OpenMP), process-wide. */
  public static void setThreads(int threads) {
    NativeLibrary.FAISS.require();
    try (IscAbi.Status status = new IscAbi.Status()) {
      check(IscFaiss.setNumThreads(threads, status), status, () -> "set_num_threads");
    }
  }

  public static int threads() {
    NativeLibrary.FAISS.require();
    return IscFaiss.numThreads();
  }

  /** Version of FAISS inside libisc_faiss. */
  public static String buildInfo() {
    NativeLibrary.FAISS.require();
    return IscFaiss.buildInfo().getString();
  }

  /** Sets a search parameter through faiss::ParameterSpace, e.g. "nprobe" or "efSearch". */
  public void setParameter(String name, double value) {
    lock.write(() -> {
      try (IscAbi.Status status = new IscAbi.Status()) {
        check(IscFaiss.setParameter(handle, name, value, status), status, () -> "parameter " + name);
      }
      return null;
    });
  }

  @Override
  public int dimension() {
    return lock.read(() -> IscFaiss.dim(handle));
  }

  @Override
  public Metric metric() {
    return lock.read(() -> Metric.ofCode(IscFaiss.metric(handle)));
  }

  @Override
  public long size() {
    return lock.read(() -> IscFaiss.ntotal(handle));
  }

  @Override
  public boolean isTrained() {
    return lock.read(() -> IscFaiss.isTrained(handle) != 0);
  }

  @Override
  public void train(Tensor vectors) {
    lock.write(() -> {
      try (Tensor host = Vectors.host("training vectors", vectors, IscFaiss.dim(handle));
          FloatPointer x = HostTensors.floats(host);
          IscAbi.Status status = new IscAbi.Status()) {
        check(IscFaiss.train(handle, host.size(0), x, status), status, () -> "train");
      }
      return null;
    });
  }

  @Override
  public void add(Tensor vectors) {
    addWithIds(vectors, null);
  }

  @Override
  public void add(Tensor vectors, long[] ids) {
    if (ids == null) {
      throw new IllegalArgumentException("ids are null");
    }
    addWithIds(vectors, ids);
  }

  private void addWithIds(Tensor vectors, long[] ids) {
    lock.write(() -> {
      try (Tensor host = Vectors.host("vectors", vectors, IscFaiss.dim(handle));
          FloatPointer x = HostTensors.floats(host);
          LongPointer idPointer = ids == null ? null : new LongPointer(ids);
          IscAbi.Status status = new IscAbi.Status()) {
        if (ids != null && ids.length != host.size(0)) {
          throw new IllegalArgumentException(
              "got " + ids.length + " ids for " + host.size(0) + " vectors");
        }
        check(IscFaiss.add(handle, host.size(0), x, idPointer, status), status, () -> "add");
      }
      return null;
    });
  }

  @Override
  public Neighbors search(Tensor queries, int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1, got " + k);
    }
    return lock.read(() -> {
      long total = IscFaiss.ntotal(handle);
      if (k > total) {
        throw new IllegalArgumentException("k=" + k + " exceeds the number of vectors in the index (" + total + ")");
      }
      try (Tensor host = Vectors.host("queries", queries, IscFaiss.dim(handle));
          FloatPointer x = HostTensors.floats(host);
          IscAbi.Status status = new IscAbi.Status()) {
        int n = (int) host.size(0);
        float[] scores = new float[n * k];
        long[] ids = new long[n * k];
        try (FloatPointer s = new FloatPointer((long) n * k);
            LongPointer i = new LongPointer((long) n * k)) {
          check(IscFaiss.search(handle, n, x, k, s, i, status), status, () -> "search");
          s.get(scores);
          i.get(ids);
        }
        return new Neighbors(n, k, Metric.ofCode(IscFaiss.metric(handle)), scores, ids);
      }
    });
  }

  @Override
  public RangeNeighbors rangeSearch(Tensor queries, float radius) {
    return lock.read(() -> {
      try (Tensor host = Vectors.host("queries", queries, IscFaiss.dim(handle));
          FloatPointer x = HostTensors.floats(host);
          IscAbi.Status status = new IscAbi.Status()) {
        IscFaiss.Range range = new IscFaiss.Range();
        check(IscFaiss.rangeSearch(handle, host.size(0), x, radius, range, status), status, () -> "range_search");
        try {
          int n = (int) range.queries();
          long[] offsets = new long[n + 1];
          range.lims().get(offsets);
          int hits = (int) offsets[n];
          long[] ids = new long[hits];
          float[] scores = new float[hits];
          if (hits > 0) {
            range.ids().get(ids);
            range.distances().get(scores);
          }
          Metric metric = Metric.ofCode(IscFaiss.metric(handle));
          return Vectors.sortedRanges(metric, offsets, ids, scores);
        } finally {
          IscFaiss.rangeFree(range);
        }
      }
    });
  }

  @Override
  public long remove(long[] ids) {
    if (ids == null) {
      throw new IllegalArgumentException("ids are null");
    }
    return lock.write(() -> {
      try (LongPointer idPointer = new LongPointer(Math.max(1, ids.length));
          LongPointer removed = new LongPointer(1);
          IscAbi.Status status = new IscAbi.Status()) {
        idPointer.put(ids);
        check(IscFaiss.remove(handle, ids.length, idPointer, removed, status), status, () -> "remove_ids");
        return removed.get();
      }
    });
  }

  @Override
  public void reset() {
    lock.write(() -> {
      try (IscAbi.Status status = new IscAbi.Status()) {
        check(IscFaiss.reset(handle, status), status, () -> "reset");
      }
      return null;
    });
  }

  @Override
  public FaissIndex copy() {
    return lock.read(() -> {
      IscFaiss.Index out = new IscFaiss.Index();
      try (IscAbi.Status status = new IscAbi.Status()) {
        check(IscFaiss.copy(handle, out, status), status, () -> "clone_index");
      }
      return new FaissIndex(out);
    });
  }

  @Override
  public void save(Path path) {
    lock.read(() -> {
      AtomicFile.write(path, temporary -> {
        try (IscAbi.Status status = new IscAbi.Status()) {
          check(IscFaiss.write(handle, temporary.toString(), status), status, () -> "write_index");
        }
      });
      return null;
    });
  }

  @Override
  public void close() {
    lock.close(() -> IscFaiss.free(handle));
  }

  private static void check(int code, IscAbi.Status status, Supplier<String> what) {
    if (code == IscAbi.OK) {
      return;
    }
    String message = "FAISS " + what.get() + ": " + status.message().getString();
    if (code == IscAbi.INVALID_ARGUMENT) {
      throw new IllegalArgumentException(message);
    }
    throw new KernelException(code, message);
  }
}
