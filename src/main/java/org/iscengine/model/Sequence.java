package org.iscengine.model;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/**
 * Layers applied in order, registered as children "0", "1", ... as nn.Sequential names them.
 * Each layer runs in its own pointer scope ({@link Scoped}), so its temporaries are freed when it
 * returns.
 */
public final class Sequence extends Module implements Layer {
  private final List<Layer> layers = new ArrayList<>();

  public <M extends Module & Layer> Sequence add(M layer) {
    register_module(Integer.toString(layers.size()), layer);
    layers.add(layer);
    return this;
  }

  public int size() {
    return layers.size();
  }

  @Override
  public Tensor forward(Tensor x) {
    Tensor current = x;
    for (Layer layer : layers) {
      Tensor next = Scoped.forward(layer, current);
      if (current != x) {
        current.close();
      }
      current = next;
    }
    return current == x ? new Tensor(x) : current;
  }
}
