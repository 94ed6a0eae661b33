package org.iscengine.data;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.iscengine.image.ImageFormat;
import org.iscengine.image.ImageOps;
import org.iscengine.image.Images;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;

class PhotoStatsTest {
  @Test
  void resizedAndRecompressedCopiesHashAlikeAndOtherImagesDoNot() {
    try (Mat a = TestImages.natural(1, 400, 300);
        Mat b = TestImages.natural(2, 400, 300);
        Mat small = ImageOps.resize(a, 211, 158);
        Mat jpeg = Images.decode(Images.encode(small, ImageFormat.JPEG, 40), "copy", 4096)) {
      long ha = PhotoStats.of(a).hash();
      assertTrue(PhotoStats.distance(ha, PhotoStats.of(jpeg).hash()) <= PhotoStats.DUPLICATE_BITS,
          "a resized JPEG copy is a duplicate");
      assertTrue(PhotoStats.distance(ha, PhotoStats.of(b).hash()) > 3 * PhotoStats.DUPLICATE_BITS,
          "different images are far apart");
    }
  }

  @Test
  void contrastSeparatesBlankFromStructured() {
    try (Scalar grey = new Scalar(120, 121, 119, 0);
        Mat blank = new Mat(100, 150, CV_8UC3, grey);
        Mat natural = TestImages.natural(3, 150, 100)) {
      assertTrue(PhotoStats.of(blank).contrast() < PhotoCollector.MIN_CONTRAST);
      assertTrue(PhotoStats.of(natural).contrast() > PhotoCollector.MIN_CONTRAST);
    }
  }

  @Test
  void diagramsHaveAHighDominantShareAndPhotosALowOne() {
    try (Scalar white = new Scalar(255, 255, 255, 0);
        Scalar black = new Scalar(0, 0, 0, 0);
        Mat diagram = new Mat(200, 300, CV_8UC3, white);
        Mat photo = TestImages.natural(4, 300, 200)) {
      for (int k = 0; k < 6; k++) {
        try (Point p = new Point(20 + 40 * k, 30);
            Point q = new Point(40 + 40 * k, 170)) {
          opencv_imgproc.rectangle(diagram, p, q, black, 2, opencv_imgproc.LINE_8, 0);
        }
      }
      assertTrue(PhotoStats.of(diagram).dominantShare() > 0.9, "diagram " + PhotoStats.of(diagram));
      assertTrue(PhotoStats.of(photo).dominantShare() < 0.2, "photo " + PhotoStats.of(photo));
    }
  }
}
