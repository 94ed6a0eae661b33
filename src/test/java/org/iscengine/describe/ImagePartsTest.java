package org.iscengine.describe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.BiConsumer;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageOps;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;

class ImagePartsTest {
  private static int[] pixel(Mat m, int x, int y) {
    try (UByteIndexer ix = m.createIndexer()) {
      return new int[] {ix.get(y, x, 0), ix.get(y, x, 1), ix.get(y, x, 2)};
    }
  }

  /** Cuts a test picture of w x h by a scheme and checks its parts, then closes them. */
  private static void checkParts(long seed, int w, int h, ImageParts.Scheme scheme, BiConsumer<Mat, List<Mat>> check) {
    try (Mat image = TestImages.natural(seed, w, h)) {
      List<Mat> parts = ImageParts.cut(image, scheme);
      try {
        check.accept(image, parts);
      } finally {
        parts.forEach(Mat::close);
      }
    }
  }

  @Test
  void aReferenceIsTheWholeImageItsTilesAndFiveCrops() {
    int w = 101;
    int h = 77;
    checkParts(7, w, h, ImageParts.Scheme.REFERENCE, (image, parts) -> {
        assertEquals(19, parts.size());
        assertEquals(w, parts.get(0).cols());
        long area2 = 0;
        long area3 = 0;
        for (int k = 1; k <= 4; k++) {
          area2 += (long) parts.get(k).cols() * parts.get(k).rows();
        }
        for (int k = 5; k <= 13; k++) {
          area3 += (long) parts.get(k).cols() * parts.get(k).rows();
        }
        assertEquals((long) w * h, area2, "the 2x2 tiles cover the image once");
        assertEquals((long) w * h, area3, "the 3x3 tiles cover the image once");
        // Tile 4 is the bottom-right quarter; crop 16 the bottom-left 2/3: the same pixels as the image there.
        assertArrayEquals(pixel(image, w / 2, h / 2), pixel(parts.get(4), 0, 0));
        assertArrayEquals(pixel(image, w - 1, h - 1), pixel(parts.get(4), parts.get(4).cols() - 1,
            parts.get(4).rows() - 1));
        assertEquals(2 * w / 3, parts.get(16).cols());
        assertArrayEquals(pixel(image, 0, h - 1), pixel(parts.get(16), 0, parts.get(16).rows() - 1));
    });
  }

  @Test
  void cropsAreTheWholeImageAndItsFiveCropsOfTwoThirds() {
    int w = 101;
    int h = 77;
    checkParts(5, w, h, ImageParts.Scheme.CROPS, (image, parts) -> {
        assertEquals(6, parts.size());
        assertEquals(w, parts.get(0).cols());
        assertEquals(h, parts.get(0).rows());
        for (int k = 1; k <= 4; k++) {
          assertEquals(2 * w / 3, parts.get(k).cols());
          assertEquals(2 * h / 3, parts.get(k).rows());
        }
        // Crop 2 is the top-right 2/3, crop 3 the bottom-left: their corners are the image's.
        assertArrayEquals(pixel(image, w - 1, 0), pixel(parts.get(2), parts.get(2).cols() - 1, 0));
        assertArrayEquals(pixel(image, 0, h - 1), pixel(parts.get(3), 0, parts.get(3).rows() - 1));
        int[] centre = ImageParts.centre(w, h, 2.0 / 3);
        assertEquals(centre[2], parts.get(5).cols());
        assertArrayEquals(pixel(image, centre[0], centre[1]), pixel(parts.get(5), 0, 0), "the centre at 2/3");
    });
  }

  @Test
  void aQueryIsTurnedCroppedAndCutIntoProposedRegions() {
    int w = 160;
    int h = 96;
    checkParts(11, w, h, ImageParts.Scheme.QUERY, (image, parts) -> {
        int fixed = 6 + ImageParts.TURNS.length;
        assertTrue(parts.size() >= fixed && parts.size() <= fixed + ImageParts.PROPOSALS, parts.size() + " parts");
        Mat clockwise = parts.get(1);
        assertEquals(h, clockwise.cols());
        assertEquals(w, clockwise.rows());
        // Turned clockwise, the top-left pixel goes to the top-right corner.
        assertArrayEquals(pixel(image, 0, 0), pixel(clockwise, h - 1, 0));
        assertArrayEquals(pixel(image, w - 1, h - 1), pixel(parts.get(2), 0, 0), "180 degrees");
        assertArrayEquals(pixel(image, 0, 0), pixel(parts.get(3), 0, w - 1), "counter-clockwise");
        assertEquals(120, parts.get(4).cols());
        assertEquals(72, parts.get(4).rows());
        assertArrayEquals(pixel(image, 20, 12), pixel(parts.get(4), 0, 0), "the centre at 3/4");
        assertEquals(80, parts.get(5).cols());
        for (int[] r : ImageParts.proposals(image)) {
          assertTrue(r[0] >= 0 && r[1] >= 0 && r[0] + r[2] <= w && r[1] + r[3] <= h, "inside the image");
          double share = (double) r[2] * r[3] / (w * h);
          assertTrue(share > 0.05 && share < 0.9, "a region, neither a speck nor the whole: " + share);
        }
        List<int[]> proposals = ImageParts.proposals(image);
        assertTrue(!proposals.isEmpty() && parts.size() == fixed + proposals.size(), "regions of a picture of shapes");
        for (int i = 0; i < proposals.size(); i++) {
          for (int j = 0; j < i; j++) {
            assertTrue(ImageParts.iou(proposals.get(i), proposals.get(j)) <= 0.5 + 1e-9, "distinct regions");
          }
        }
    });
  }

  @Test
  void aCopyTurnedByTheEditIsTurnedBackUpright() {
    int side = 151;
    for (double degrees : new double[] {-30, -17, 23}) {
      try (Mat image = TestImages.natural(5 + (long) degrees, side, side);
          Mat copy = ImageOps.rotate(image, degrees);
          Mat back = ImageParts.turnedBack(copy, -degrees);
          Mat wrongWay = ImageParts.turnedBack(copy, degrees)) {
        assertEquals(side, back.cols(), 2, "the square the copy came from");
        assertEquals(side, back.rows(), 2);
        double error = meanAbsoluteDifference(image, back);
        double unturned = meanAbsoluteDifference(image, wrongWay);
        assertTrue(error < 0.25 * unturned, degrees + " degrees: " + error + " turned back against "
            + unturned + " turned the wrong way");
      }
    }
  }

  /** Mean absolute difference over the inner 80 % of a, b resized to a's size. */
  private static double meanAbsoluteDifference(Mat a, Mat b) {
    try (Mat sized = ImageOps.resize(b, a.cols(), a.rows());
        UByteIndexer ia = a.createIndexer();
        UByteIndexer ib = sized.createIndexer()) {
      int margin = a.cols() / 10;
      double sum = 0;
      long n = 0;
      for (int y = margin; y < a.rows() - margin; y++) {
        for (int x = margin; x < a.cols() - margin; x++) {
          for (int c = 0; c < 3; c++) {
            sum += Math.abs(ia.get(y, x, c) - ib.get(y, x, c));
            n++;
          }
        }
      }
      return sum / n;
    }
  }

  @Test
  void partIdsNameTheirImage() {
    assertEquals("Q00012", ImageParts.imageId(ImageParts.partId("Q00012", 7)));
    assertEquals("a#b", ImageParts.imageId("a#b"));
    assertEquals("x#3", ImageParts.imageId("x#3#4"));
    assertEquals("plain", ImageParts.imageId("plain"));
    assertEquals(0.0, ImageParts.iou(new int[] {0, 0, 10, 10}, new int[] {10, 0, 10, 10}));
    assertEquals(1.0 / 3, ImageParts.iou(new int[] {0, 0, 10, 10}, new int[] {5, 0, 10, 10}), 1e-12);
  }
}
