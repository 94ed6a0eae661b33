package org.iscengine.model.keras;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.kernels.HostTensors;

/**
 * Keras weights as a PyTorch state dict whose module names are the Keras layer names: Conv2D
 * kernels HWIO to OIHW, DepthwiseConv2D kernels HW(C)(M) to (C·M),1,H,W, Dense kernels to
 * [out, in], BatchNormalization gamma / beta / moving_mean / moving_variance to weight / bias /
 * running_mean / running_var. A network built with the same layer names loads it strictly.
 */
public final class KerasStateDict {
  private KerasStateDict() {}

  /**
   * The weights of the layers that the output layer depends on (a classifier after it is left
   * out), as new float32 tensors the caller closes.
   */
  public static Map<String, Tensor> upTo(TfjsLayersModel model, String outputLayer) {
    Set<String> wanted = model.layersUpTo(outputLayer);
    Map<String, Tensor> out = new LinkedHashMap<>();
    try {
      for (TfjsLayersModel.Weight w : model.weights().values()) {
        String name = w.name().replaceFirst(":0$", "");
        int slash = name.lastIndexOf('/');
        String layerName = slash < 0 ? "" : name.substring(0, slash);
        String param = name.substring(slash + 1);
        if (!wanted.contains(layerName)) {
          model.layer(layerName);  // a weight of no layer at all is an error; one of a dropped layer is skipped
          continue;
        }
        TfjsLayersModel.Layer layer = model.layer(layerName);
        out.put(layerName + "." + torchName(layer, param, model), convert(layer, param, w));
      }
      return out;
    } catch (RuntimeException e) {
      out.values().forEach(Tensor::close);
      throw e;
    }
  }

  private static String torchName(TfjsLayersModel.Layer layer, String param, TfjsLayersModel model) {
    String name = switch (layer.className() + "/" + param) {
      case "Conv2D/kernel", "DepthwiseConv2D/depthwise_kernel", "Dense/kernel", "BatchNormalization/gamma" -> "weight";
      case "Conv2D/bias", "DepthwiseConv2D/bias", "Dense/bias", "BatchNormalization/beta" -> "bias";
      case "BatchNormalization/moving_mean" -> "running_mean";
      case "BatchNormalization/moving_variance" -> "running_var";
      default -> null;
    };
    if (name == null) {
      throw new IllegalArgumentException(model.source() + ": weight " + param + " of " + layer.className() + " layer "
          + layer.name() + " has no PyTorch counterpart here");
    }
    return name;
  }

  private static Tensor convert(TfjsLayersModel.Layer layer, String param, TfjsLayersModel.Weight w) {
    long[] s = w.shape();
    String what = layer.name() + "/" + param + " " + Arrays.toString(s);
    try (Tensor keras = tensor(w.values(), s)) {
      switch (layer.className() + "/" + param) {
        case "Conv2D/kernel" -> {
          require(s.length == 4, what, "a 4-D HWIO kernel");
          try (Tensor p = keras.permute(3, 2, 0, 1)) {
            return p.contiguous();
          }
        }
        case "DepthwiseConv2D/depthwise_kernel" -> {
          require(s.length == 4, what, "a 4-D H,W,C,multiplier kernel");
          // output channel c * multiplier + m, as TensorFlow orders a depthwise convolution's outputs
          try (Tensor p = keras.permute(2, 3, 0, 1);
              Tensor c = p.contiguous()) {
            return c.reshape(s[2] * s[3], 1, s[0], s[1]);
          }
        }
        case "Dense/kernel" -> {
          require(s.length == 2, what, "a 2-D [in, out] kernel");
          try (Tensor t = keras.t()) {
            return t.contiguous();
          }
        }
        default -> {
          require(s.length == 1, what, "a vector");
          return keras.clone();
        }
      }
    }
  }

  private static void require(boolean ok, String what, String expected) {
    if (!ok) {
      throw new IllegalArgumentException("weight " + what + ": expected " + expected);
    }
  }

  private static Tensor tensor(float[] values, long[] shape) {
    return HostTensors.tensor(values, shape);
  }
}
