package org.iscengine.augment;

import static org.bytedeco.opencv.global.opencv_core.CV_32F;

import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;

/** PIL's EDGE_ENHANCE filter: the 3 x 3 kernel (-1 ... 10 ... -1) / 2. */
public record EdgeEnhance() implements Transform {
  @Override
  public Mat apply(Mat image, Rng rng, Resources res) {
    Mat out = new Mat();
    try (Mat kernel = new Mat(3, 3, CV_32F)) {
      try (FloatIndexer k = kernel.createIndexer()) {
        for (int y = 0; y < 3; y++) {
          for (int x = 0; x < 3; x++) {
            k.put(y, x, x == 1 && y == 1 ? 5f : -0.5f);
          }
        }
      }
      opencv_imgproc.filter2D(image, out, -1, kernel);
    }
    return out;
  }
}
