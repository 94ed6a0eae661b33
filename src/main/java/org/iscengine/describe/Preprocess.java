package org.iscengine.describe;

import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.image.ImageOps;
import org.iscengine.model.ModelConfig;

/**
 * Turns a decoded BGR image into model input: resized (square, as the descriptor-track winner,
 * or aspect kept and centre-cropped), optionally mirrored, as RGB floats in [0, 1] laid out
 * channel by channel (C x S x S). Mean and standard deviation are applied to the whole batch
 * later, on the model's device.
 */
public final class Preprocess {
  /** How an image becomes S x S. */
  public enum Resize {
    /** Resized to S x S, the aspect ratio not kept (the winner's inference). */
    SQUARE,
    /** The centre square (the short side's length), resized to S x S. */
    CENTER_CROP
  }

  private Preprocess() {}

  public static float[] chw(Mat bgr, int size, Resize resize, boolean flip) {
    try (Mat fitted = fit(bgr, size, resize)) {
      if (flip) {
        opencv_core.flip(fitted, fitted, 1);
      }
      float[] out = new float[3 * size * size];
      int plane = size * size;
      byte[] bytes = new byte[plane * 3];
      Mat dense = fitted.isContinuous() ? fitted : fitted.clone();
      try {
        dense.data().position(0).get(bytes);
      } finally {
        if (dense != fitted) {
          dense.close();
        }
      }
      for (int o = 0, b = 0; o < plane; o++, b += 3) {
        out[o] = (bytes[b + 2] & 0xff) / 255f;
        out[plane + o] = (bytes[b + 1] & 0xff) / 255f;
        out[2 * plane + o] = (bytes[b] & 0xff) / 255f;
      }
      return out;
    }
  }

  private static Mat fit(Mat bgr, int size, Resize resize) {
    if (resize == Resize.SQUARE) {
      return ImageOps.resize(bgr, size, size);
    }
    // The centre square first, then scaled: scaling the whole image first would make a long thin
    // upload (4096 x 1) into hundreds of megapixels.
    int side = Math.min(bgr.cols(), bgr.rows());
    try (Mat square = ImageOps.crop(bgr, (bgr.cols() - side) / 2, (bgr.rows() - side) / 2, side, side)) {
      return ImageOps.resize(square, size, size);
    }
  }

  /** (x - mean) / std per RGB channel of a batch [N, 3, H, W], on its device (a new tensor). */
  public static Tensor normalise(Tensor x, ModelConfig config) {
    try (Tensor mean = channels(x, config.mean());
        Tensor std = channels(x, config.std());
        Tensor centred = x.sub(mean)) {
      return centred.div(std);
    }
  }

  private static Tensor channels(Tensor like, double[] values) {
    Tensor t = like.new_empty(new long[] {1, 3, 1, 1});
    for (int c = 0; c < 3; c++) {
      try (Tensor slot = t.select(1, c);
          Scalar value = new Scalar(values[c])) {
        slot.fill_(value);
      }
    }
    return t;
  }
}
