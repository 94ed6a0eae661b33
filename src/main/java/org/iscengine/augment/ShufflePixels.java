package org.iscengine.augment;

import org.bytedeco.opencv.opencv_core.Mat;

/** AugLy's shuffle_pixels: a fraction `factor` of the pixels trade places at random (0: none, 1: all). */
public record ShufflePixels(double low, double high) implements UniformTransform {
  public ShufflePixels { Check.range("factor", low, high, 0, 1); }

  @Override
  public Mat apply(Mat image, double factor, Rng rng, Resources res) {
    int pixels = image.cols() * image.rows();
    int chosen = (int) Math.round(pixels * factor);
    Mat out = image.clone();
    if (chosen < 2) {
      return out;
    }
    // Choose the pixels (partial Fisher-Yates), then permute their values among themselves.
    int[] index = new int[pixels];
    for (int i = 0; i < pixels; i++) {
      index[i] = i;
    }
    for (int i = 0; i < chosen; i++) {
      int j = i + rng.nextInt(pixels - i);
      int t = index[i];
      index[i] = index[j];
      index[j] = t;
    }
    int[] target = new int[chosen];
    System.arraycopy(index, 0, target, 0, chosen);
    for (int i = chosen - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = target[i];
      target[i] = target[j];
      target[j] = t;
    }
    byte[] src = new byte[pixels * 3];
    byte[] dst = new byte[pixels * 3];
    out.data().position(0).get(src);
    System.arraycopy(src, 0, dst, 0, src.length);
    for (int i = 0; i < chosen; i++) {
      System.arraycopy(src, 3 * index[i], dst, 3 * target[i], 3);
    }
    out.data().position(0).put(dst);
    return out;
  }
}
