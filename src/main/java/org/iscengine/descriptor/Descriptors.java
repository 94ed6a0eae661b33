package org.iscengine.descriptor;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

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
