package org.iscengine.kernels;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.errors.IscException;
import org.iscengine.io.AtomicFile;
import org.iscengine.runtime.ComputeDevice;

/**
 * The ring buffer of a memory-bank loss (pytorch-metric-learning's CrossBatchMemory): detached,
 * L2-normalised embeddings with their labels. Each batch is written at the queue position, which
 * then advances modulo the size; until the ring has wrapped once, only the rows written so far
 * take part. Saved and restored with a training checkpoint. Not thread-safe.
 */
public final class MemoryBank implements AutoCloseable {
  private final int size;
  private final int dim;
  private final Tensor embeddings;
  private final Tensor labels;
  private long queueIndex;
  private boolean filled;
  private boolean closed;

  /** An empty bank of `size` rows of dimension `dim` on the CPU. */
  public MemoryBank(int size, int dim) {
    this(size, dim, ComputeDevice.CPU);
  }

  public MemoryBank(int size, int dim, ComputeDevice device) {
    if (size < 1) {
      throw new IllegalArgumentException("memory bank size must be >= 1, got " + size);
    }
    if (dim < 1) {
      throw new IllegalArgumentException("memory bank dimension must be >= 1, got " + dim);
    }
    this.size = size;
    this.dim = dim;
    try (Device d = device.torchDevice();
        TensorOptions floats = Tensors.options(d, ScalarType.Float);
        TensorOptions longs = Tensors.options(d, ScalarType.Long);
        Scalar none = new Scalar(-1L)) {
      this.embeddings = torch.zeros(new long[] {size, dim}, floats);
      this.labels = torch.full(new long[] {size}, none, longs);
    }
  }

  private MemoryBank(int size, int dim, Tensor embeddings, Tensor labels, long queueIndex, boolean filled) {
    this.size = size;
    this.dim = dim;
    this.embeddings = embeddings;
    this.labels = labels;
    this.queueIndex = queueIndex;
    this.filled = filled;
  }

  public int size() {
    return size;
  }

  public int dim() {
    return dim;
  }

  /** Where the next batch is written. */
  public long queueIndex() {
    return queueIndex;
  }

  /** Whether the ring has wrapped at least once (all rows take part). */
  public boolean isFilled() {
    return filled;
  }

  /** Rows taking part in the loss: all once filled, else those written so far. */
  public long rows() {
    return filled ? size : queueIndex;
  }

  /** [size, dim] float32 unit rows (zeros where nothing was written yet). */
  public Tensor embeddings() {
    requireOpen();
    return embeddings;
  }

  /** [size] int64 labels (-1 where nothing was written yet). */
  public Tensor labels() {
    requireOpen();
    return labels;
  }

  public boolean isCuda() {
    return embeddings.is_cuda();
  }

  /** Rows that a batch of this size will be written to, in order. */
  long[] slotsFor(int batch) {
    if (batch > size) {
      throw new IllegalArgumentException("batch of " + batch + " exceeds the memory bank size " + size);
    }
    long[] slots = new long[batch];
    for (int i = 0; i < batch; i++) {
      slots[i] = (queueIndex + i) % size;
    }
    return slots;
  }

  /** Rows taking part once a batch of this size is written. */
  long rowsAfter(int batch) {
    long next = (queueIndex + batch) % size;
    return filled || next <= queueIndex ? size : next;
  }

  /** Records that a batch was written (CrossBatchMemory's queue and "filled" bookkeeping). */
  void advance(int batch) {
    long next = (queueIndex + batch) % size;
    if (!filled && next <= queueIndex) {
      filled = true;
    }
    queueIndex = next;
  }

  /** Writes the bank to path atomically (a temporary file, then a rename). */
  public void save(Path path) {
    requireOpen();
    AtomicFile.write(path, temporary -> {
      try (OutputArchive archive = new OutputArchive();
          Tensor state = torch.tensor(new long[] {size, dim, queueIndex, filled ? 1 : 0});
          Tensor cpuEmbeddings = embeddings.cpu();
          Tensor cpuLabels = labels.cpu()) {
        archive.write("state", state);
        archive.write("embeddings", cpuEmbeddings);
        archive.write("labels", cpuLabels);
        archive.save_to(temporary.toString());
      }
    });
  }

  /** Reads a bank written by {@link #save} onto a device. */
  public static MemoryBank load(Path path, ComputeDevice device) {
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException("memory bank file not found: " + path);
    }
    try (InputArchive archive = new InputArchive();
        Tensor state = new Tensor();
        Tensor cpuEmbeddings = new Tensor();
        Tensor cpuLabels = new Tensor();
        Device d = device.torchDevice()) {
      try {
        archive.load_from(path.toString());
        archive.read("state", state);
        archive.read("embeddings", cpuEmbeddings);
        archive.read("labels", cpuLabels);
      } catch (RuntimeException e) {
        throw new IscException(IscException.Kind.CORRUPT_DATA,
            "not a memory bank file: " + path + " (" + e.getMessage() + ")", e);
      }
      long[] s = new long[4];
      try (Tensor contiguous = state.contiguous();
          LongPointer p = new LongPointer(contiguous.data_ptr())) {
        if (contiguous.numel() != 4) {
          throw new IscException(IscException.Kind.CORRUPT_DATA,
              "corrupt memory bank file " + path + ": bad state record");
        }
        p.get(s);
      }
      int size = (int) s[0];
      int dim = (int) s[1];
      if (cpuEmbeddings.dim() != 2 || cpuEmbeddings.size(0) != size || cpuEmbeddings.size(1) != dim
          || cpuLabels.dim() != 1 || cpuLabels.size(0) != size || s[2] < 0 || s[2] >= size) {
        throw new IscException(IscException.Kind.CORRUPT_DATA,
            "corrupt memory bank file " + path + ": shapes disagree with its state");
      }
      return new MemoryBank(size, dim, cpuEmbeddings.to(d, ScalarType.Float), cpuLabels.to(d, ScalarType.Long),
          s[2], s[3] != 0);
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("the memory bank is closed");
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      embeddings.close();
      labels.close();
    }
  }
}
