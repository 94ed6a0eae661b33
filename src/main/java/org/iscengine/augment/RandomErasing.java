package org.iscengine.augment;

import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * torchvision's RandomErasing: a rectangle of area fraction in [scaleMin, scaleMax] and aspect
 * ratio (log-uniform) in [ratioMin, ratioMax] filled with random noise (or a random colour).
 */
public record RandomErasing(double scaleMin, double scaleMax, double ratioMin, double ratioMax, boolean noise)
    implements Transform {
  public RandomErasing {
    Check.range("scale", scaleMin, scaleMax, 0, 1);
    Check.range("ratio", ratioMin, ratioMax, 1e-3, 1e3);
  }

  /** torchvision's defaults: scale 0.02-0.33, ratio 0.3-3.3, random values. */
  public static RandomErasing defaults() {
    return new RandomErasing(0.02, 0.33, 0.3, 3.3, true);
  }

  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    int w = image.cols();
    int h = image.rows();
    for (int attempt = 0; attempt < 10; attempt++) {
      double area = (double) w * h * rng.uniform(scaleMin, scaleMax);
      double ratio = Math.exp(rng.uniform(Math.log(ratioMin), Math.log(ratioMax)));
      int eh = (int) Math.round(Math.sqrt(area * ratio));
      int ew = (int) Math.round(Math.sqrt(area / ratio));
      if (eh < 1 || ew < 1 || eh >= h || ew >= w) {
        continue;
      }
      int y0 = rng.nextInt(h - eh + 1);
      int x0 = rng.nextInt(w - ew + 1);
      double[] color = Ops.randomColor(rng);
      Mat out = image.clone();
      try (UByteIndexer px = out.createIndexer()) {
        for (int y = y0; y < y0 + eh; y++) {
          for (int x = x0; x < x0 + ew; x++) {
            for (int c = 0; c < 3; c++) {
              px.put(y, x, c, noise ? rng.nextInt(256) : (int) color[c]);
            }
          }
        }
      }
      return out;
    }
    return image;
  }
}
