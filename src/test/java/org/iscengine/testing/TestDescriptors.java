package org.iscengine.testing;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.descriptor.Descriptors;

/** Descriptors for tests, named so that a failure points at the row. */
public final class TestDescriptors {
  private TestDescriptors() {}

  /** One descriptor per row of vectors, with ids PREFIX0, PREFIX1, ... */
  public static Descriptors numbered(String prefix, Tensor vectors) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < vectors.size(0); i++) {
      ids.add(prefix + i);
    }
    return new Descriptors(ids, vectors);
  }
}
