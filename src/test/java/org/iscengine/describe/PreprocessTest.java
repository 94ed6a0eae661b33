package org.iscengine.describe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;

/** Model input from decoded images. */
class PreprocessTest {
  private final long seed = RandomTensors.freshSeed();

  /** A one-pixel-high strip of random colours, {@code width} long. */
  private Mat strip(int width, Random random) {
    Mat m = new Mat(1, width, opencv_core.CV_8UC3);
    try (UByteIndexer ix = m.createIndexer()) {
      for (int x = 0; x < width; x++) {
        for (int c = 0; c < 3; c++) {
          ix.put(0, x, c, 30 + random.nextInt(200));
        }
      }
    }
    return m;
  }

  @Test
  void aCentreCropOfALongThinImageIsItsCentrePixelWithoutScalingTheWholeImage() {
    Random random = new Random(seed);
    int size = 160;
    try (Mat image = strip(4096, random);
        UByteIndexer ix = image.createIndexer()) {
      // Scaling the whole strip first would ask for 655 360 x 160 pixels.
      float[] chw = Preprocess.chw(image, size, Preprocess.Resize.CENTER_CROP, false);
      assertEquals(3 * size * size, chw.length);
      for (int c = 0; c < 3; c++) {
        float want = ix.get(0, (4096 - 1) / 2, 2 - c) / 255f;  // RGB planes from BGR
        for (int i = 0; i < size * size; i += 97) {
          assertEquals(want, chw[c * size * size + i], 1e-6f, "plane " + c + " at " + i + " (seed " + seed + ")");
        }
      }
    }
  }
}
