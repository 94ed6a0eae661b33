package org.iscengine.model;

import org.bytedeco.pytorch.Tensor;

/** Registration helpers for modules built in Java. */
final class Params {
  private Params() {}

  /**
   * An owning handle on a registered parameter or buffer. The binding returns a reference into
   * the module's table, which moves when more entries are registered; holding it would read
   * another tensor's memory.
   */
  static Tensor owned(Tensor registered) {
    return new Tensor(registered);
  }
}
