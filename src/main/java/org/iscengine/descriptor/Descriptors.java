package org.iscengine.descriptor;

import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.kernels.HostTensors;

/**
 * Named descriptors: ids[i] is the image of row i of vectors, a [n, d] float32 CPU tensor. Owns
 * the tensor: closing frees it.
 */
public record Descriptors(List<String> ids, Tensor vectors) implements AutoCloseable {
  public Descriptors {
    ids = List.copyOf(ids);
    if (vectors.dim() != 2 || vectors.size(0) != ids.size()) {
      throw new IllegalArgumentException("descriptors: " + ids.size() + " ids for a tensor of shape "
          + java.util.Arrays.toString(vectors.shape()));
    }
  }

  /** Descriptors from rows of dim floats each (copied into a new CPU tensor). */
  public static Descriptors of(List<String> ids, List<float[]> rows, int dim) {
    if (ids.size() != rows.size()) {
      throw new IllegalArgumentException("descriptors: " + ids.size() + " ids for " + rows.size() + " rows");
    }
    if (dim < 1) {
      throw new IllegalArgumentException("descriptors: dimension must be >= 1, got " + dim);
    }
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i).length != dim) {
        throw new IllegalArgumentException("descriptors: row " + i + " (" + ids.get(i) + ") has "
            + rows.get(i).length + " values, not " + dim);
      }
    }
    return new Descriptors(ids, HostTensors.stack(rows, dim));
  }

  public int size() {
    return ids.size();
  }

  public int dim() {
    return (int) vectors.size(1);
  }

  /** The same ids with other vectors (this object keeps its own tensor). */
  public Descriptors with(Tensor newVectors) {
    return new Descriptors(ids, newVectors);
  }

  @Override
  public void close() {
    vectors.close();
  }
}
