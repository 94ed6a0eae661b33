package org.iscengine.hash;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.iscengine.image.ImageFormat;
import org.iscengine.image.ImageOps;
import org.iscengine.image.Images;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The 16 x 16 thumbnail descriptor against a float64 computation, and as a matcher. */
class ThumbnailTest {
  @TempDir Path dir;

  @Test
  void isTheNormalisedZeroMeanOfTheLuminanceOverEachCell() {
    long seed = RandomTensors.freshSeed();
    int cellW = 5;
    int cellH = 3;
    try (Mat image = TestImages.unrelated(seed, 16 * cellW, 16 * cellH)) {
      double[] expected = new double[256];
      try (UByteIndexer px = image.createIndexer()) {
        for (int y = 0; y < image.rows(); y++) {
          for (int x = 0; x < image.cols(); x++) {
            double luma = 0.299 * px.get(y, x, 2) + 0.587 * px.get(y, x, 1) + 0.114 * px.get(y, x, 0);
            expected[(y / cellH) * 16 + x / cellW] += luma / (cellW * cellH);
          }
        }
      }
      double mean = java.util.Arrays.stream(expected).average().orElseThrow();
      double norm = Math.sqrt(java.util.Arrays.stream(expected).map(v -> (v - mean) * (v - mean)).sum());
      float[] d = Thumbnail.describe(image);
      assertEquals(Thumbnail.DIMENSION, d.length);
      double sum = 0;
      double squares = 0;
      for (int k = 0; k < 256; k++) {
        assertEquals((expected[k] - mean) / norm, d[k], 1e-5, "seed " + seed + ", element " + k);
        sum += d[k];
        squares += d[k] * d[k];
      }
      assertEquals(0, sum, 1e-4);
      assertEquals(1, squares, 1e-5);
    }
  }

  @Test
  void aFlatImageDescribesAsZeros() {
    try (Mat flat = new Mat(77, 101, CV_8UC3, new Scalar(10, 200, 30, 0))) {
      for (float v : Thumbnail.describe(flat)) {
        assertEquals(0f, v);
      }
    }
  }

  @Test
  void copiesCorrelateAndUnrelatedImagesDoNot() {
    long seed = RandomTensors.freshSeed();
    try (Mat a = TestImages.unrelated(seed, 320, 240);
        Mat small = ImageOps.resize(a, 200, 150);
        Mat jpeg = Images.decode(Images.encode(a, ImageFormat.JPEG, 30), "jpeg", 4096)) {
      float[] da = Thumbnail.describe(a);
      assertTrue(dot(da, Thumbnail.describe(small)) > 0.98, "seed " + seed);
      assertTrue(dot(da, Thumbnail.describe(jpeg)) > 0.98, "seed " + seed);
    }
    float[][] unrelated = new float[8][];
    for (int i = 0; i < unrelated.length; i++) {
      try (Mat m = TestImages.unrelated(seed + 1 + i, 320, 240)) {
        unrelated[i] = Thumbnail.describe(m);
      }
    }
    double sum = 0;
    int pairs = 0;
    for (int i = 0; i < unrelated.length; i++) {
      for (int j = i + 1; j < unrelated.length; j++) {
        sum += Math.abs(dot(unrelated[i], unrelated[j]));
        pairs++;
      }
    }
    // Their thumbnails hold a few broad colour patches, so single pairs may correlate by chance
    // (up to 0.65 seen), but not on average (at most 0.24 over 100 seeds).
    assertTrue(sum / pairs < 0.35, "seed " + seed + ": mean |correlation| " + sum / pairs);
  }

  @Test
  void aFileDescribesAsItsImage() {
    try (Mat image = TestImages.unrelated(RandomTensors.freshSeed(), 700, 520)) {
      Path file = dir.resolve("i.png");
      Images.write(file, image, 95);
      float[] fromFile = Thumbnail.describe(file);
      float[] fromMemory = Thumbnail.describe(image);
      for (int k = 0; k < 256; k++) {
        assertEquals(fromMemory[k], fromFile[k], 0f);
      }
    }
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int k = 0; k < a.length; k++) {
      s += a[k] * b[k];
    }
    return s;
  }
}
