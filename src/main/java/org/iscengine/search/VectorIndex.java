package org.iscengine.search;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.kernels.Metric;

/**
 * A searchable set of vectors with 64-bit ids. Vectors and queries are [n, dimension] float32
 * LibTorch tensors. Implementations: {@link ExactIndex} (the project's exact kNN kernel, CPU or
 * CUDA) and {@link FaissIndex} (any FAISS index_factory description). Searches may run
 * concurrently; changes (train, add, reset) wait for them. Closing frees the native memory;
 * methods on a closed index throw {@link IllegalStateException}.
 */
public interface VectorIndex extends AutoCloseable {
  int dimension();

  Metric metric();

  /** Number of vectors held. */
  long size();

  /** Whether {@link #add} can be called (some FAISS indexes must be trained first). */
  boolean isTrained();

  /** Learns the index's parameters (centroids, codebooks, PCA) from sample vectors. */
  void train(Tensor vectors);

  /** Adds vectors with ids size(), size()+1, ... */
  void add(Tensor vectors);

  /** Adds vectors with the given ids. */
  void add(Tensor vectors, long[] ids);

  /** The k nearest vectors of each query. */
  Neighbors search(Tensor queries, int k);

  /** The vectors of each query within the radius. */
  RangeNeighbors rangeSearch(Tensor queries, float radius);

  /**
   * Removes the vectors with these ids and returns how many went; the other vectors keep their
   * ids. (A FAISS index keeps ids only behind an IDMap; some, such as HNSW, cannot remove.)
   */
  long remove(long[] ids);

  /** Removes every vector (a trained index stays trained). */
  void reset();

  /**
   * An independent copy of the index as it is now (waits for changes in progress), for example to
   * save it while this one goes on changing. The caller closes it.
   */
  VectorIndex copy();

  /** Writes the index to a file atomically: a reader sees the old file or the new one, whole. */
  void save(Path path);

  @Override
  void close();

  /** Reads an index written by {@link #save} of either implementation. */
  static VectorIndex load(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException("index file not found: " + path);
    }
    return ExactIndex.isExactIndex(path) ? ExactIndex.load(path) : FaissIndex.read(path);
  }
}
