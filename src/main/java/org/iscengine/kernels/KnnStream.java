package org.iscengine.kernels;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A kNN search whose references arrive in chunks: each {@link #add} merges a chunk's candidates
 * into the running top-k of every query, so the whole reference set never needs to be in memory
 * at once. CPU chunks are copied to the device of CUDA queries. Not thread-safe.
 */
public final class KnnStream implements AutoCloseable {
  private final Tensor queries;
  private final int k;
  private final Metric metric;
  private final KnnPrecision precision;
  private final boolean nativeKernel;
  private Tensor scores;
  private Tensor ids;
  private long seen;
  private long nextId;
  private boolean closed;

  KnnStream(Tensor queries, int k, Metric metric, KnnPrecision precision, long firstId) {
    this.queries = queries;
    this.k = k;
    this.metric = metric;
    this.precision = precision;
    this.nextId = firstId;
    this.nativeKernel = Knn.useNative(queries, precision);
  }

  /** References seen so far. */
  public long seen() {
    return seen;
  }

  /** Adds the next chunk; its rows get the next ids in sequence. */
  public void add(Tensor chunk) {
    add(chunk, nextId);
  }

  /** Adds a chunk whose row r gets id firstId + r. */
  public void add(Tensor chunk, long firstId) {
    TensorChecks.matrix("references", chunk);
    addChecked(chunk, firstId);
  }

  /**
   * {@link #add(Tensor, long)} for references whose values were already checked finite (an
   * index checks them once, on insertion): only shape, dtype and layout are checked here.
   */
  public void addChecked(Tensor chunk, long firstId) {
    if (closed) {
      throw new IllegalStateException("the kNN stream is closed");
    }
    if (chunk == null || chunk.isNull() || !chunk.defined() || chunk.dim() != 2 || !chunk.is_contiguous()
        || Tensors.dtype(chunk) != ScalarType.Float) {
      throw new IllegalArgumentException("references must be a contiguous float32 [n, d] matrix");
    }
    TensorChecks.sameDimension(queries, chunk);
    if (firstId < 0) {
      throw new IllegalArgumentException("firstId must be >= 0, got " + firstId);
    }
    Tensor onDevice = chunk;
    if (queries.is_cuda() && !chunk.is_cuda()) {
      try (org.bytedeco.pytorch.Device device = queries.device()) {
        onDevice = chunk.to(device, ScalarType.Float);
      }
    }
    try {
      TensorChecks.sameDevice(queries, onDevice);
      if (nativeKernel) {
        if (scores == null) {
          scores = Tensors.emptyLike(queries, ScalarType.Float, queries.size(0), k);
          ids = Tensors.emptyLike(queries, ScalarType.Long, queries.size(0), k);
        }
        NativeKnn.run(queries, onDevice, k, metric, precision, 0, firstId, seen > 0, scores, ids);
      } else {
        mergeReference(onDevice, firstId);
      }
      seen += chunk.size(0);
      nextId = firstId + chunk.size(0);
    } finally {
      if (onDevice != chunk) {
        onDevice.close();
      }
    }
  }

  /** The result over every chunk added; the stream is closed afterwards. */
  public KnnResult result() {
    if (closed) {
      throw new IllegalStateException("the kNN stream is closed");
    }
    if (seen < k) {
      throw new IllegalArgumentException("k=" + k + " exceeds the number of references searched (" + seen + ")");
    }
    KnnResult result = new KnnResult(scores, ids);
    scores = null;
    ids = null;
    closed = true;
    return result;
  }

  @Override
  public void close() {
    closed = true;
    if (scores != null) {
      scores.close();
      ids.close();
      scores = null;
      ids = null;
    }
  }

  /** Reference path: the chunk's own top-k, merged with the running one by a second sort. */
  private void mergeReference(Tensor chunk, long firstId) {
    int kk = (int) Math.min(k, chunk.size(0));
    try (KnnResult part = ReferenceKnn.search(queries, chunk, kk, metric, firstId)) {
      if (scores == null) {
        scores = new Tensor(part.scores());
        ids = new Tensor(part.ids());
        return;
      }
      KnnResult merged = ReferenceKnn.merge(scores, ids, part.scores(), part.ids(), k, metric);
      scores.close();
      ids.close();
      scores = merged.scores();
      ids = merged.ids();
    }
  }
}
