package org.iscengine.model;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Runs a layer inside its own JavaCPP pointer scope: every temporary tensor it makes is freed
 * when it returns, and only its output survives, handed to the enclosing scope if there is one
 * (else to the caller, who closes it).
 */
final class Scoped {
  private Scoped() {}

  static Tensor forward(Layer layer, Tensor x) {
    Tensor out;
    try (PointerScope scope = new PointerScope()) {
      out = layer.forward(x);
      out.retainReference();
    }
    PointerScope outer = PointerScope.getInnerScope();
    if (outer != null) {
      outer.attach(out);
      out.releaseReference();
    }
    return out;
  }
}
