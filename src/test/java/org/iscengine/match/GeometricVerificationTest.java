package org.iscengine.match;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Point2f;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;
import org.iscengine.image.ImageDecodeException;
import org.iscengine.image.Images;
import org.iscengine.progress.Progress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeometricVerificationTest {
  private final Random random = new Random();
  /**
   * 500 keypoints and 12 inliers: at the defaults' 8, two of these synthetic pictures, all drawn
   * from the same shapes, now and then line up by chance, so "unrelated" would not be.
   */
  private static final GeometricVerification.Options PINNED =
      new GeometricVerification.Options(500, 320, 0.85, 12, 40, 0.5, 6.0);

  /** A picture with structure ORB can find: random filled shapes of random colours on noise. */
  private Mat picture() {
    Mat image = new Mat(240 + random.nextInt(41), 300 + random.nextInt(41), CV_8UC3);
    byte[] noise = new byte[image.rows() * image.cols() * 3];
    random.nextBytes(noise);
    image.data().put(noise);
    opencv_imgproc.GaussianBlur(image, image, new Size(9, 9), 3);
    for (int k = 0; k < 40; k++) {
      try (Point centre = new Point(random.nextInt(image.cols()), random.nextInt(image.rows()));
          Scalar colour = new Scalar(random.nextInt(256), random.nextInt(256), random.nextInt(256), 0)) {
        if (k % 2 == 0) {
          opencv_imgproc.circle(image, centre, 5 + random.nextInt(25), colour, -1, opencv_imgproc.LINE_8, 0);
        } else {
          try (Point corner = new Point(centre.x() + 10 + random.nextInt(30), centre.y() + 10 + random.nextInt(30))) {
            opencv_imgproc.rectangle(image, centre, corner, colour, -1, opencv_imgproc.LINE_8, 0);
          }
        }
      }
    }
    return image;
  }

  /** A copy: mirrored, rotated by 12 degrees, scaled by 0.7 and cropped. */
  private static Mat edited(Mat original) {
    Mat flipped = new Mat();
    opencv_core.flip(original, flipped, 1);
    Mat out = new Mat();
    try (Point2f centre = new Point2f(original.cols() / 2f, original.rows() / 2f);
        Mat rotation = opencv_imgproc.getRotationMatrix2D(centre, 12, 0.7)) {
      opencv_imgproc.warpAffine(flipped, out, rotation, new Size(original.cols() * 3 / 4, original.rows() * 3 / 4));
    }
    flipped.close();
    return out;
  }

  @Test
  void aCopyGainsAndAnUnrelatedPictureDoesNot(@TempDir Path dir) {
    try (Mat original = picture(); Mat copy = edited(original); Mat other = picture()) {
      Images.write(dir.resolve("R0.png"), original, 90);
      Images.write(dir.resolve("R1.png"), other, 90);
      Images.write(dir.resolve("Q0.jpg"), copy, 85);
    }
    float base = random.nextFloat();
    Predictions p = new Predictions(List.of("Q0"), List.of("R0", "R1"), new int[] {0, 0}, new int[] {1, 0},
        new float[] {base + 0.1f, base});
    GeometricVerification verification = new GeometricVerification(PINNED);
    Predictions r = verification.rescore(p, id -> dir.resolve(id + ".jpg"), id -> dir.resolve(id + ".png"),
        Progress.none());
    assertEquals(p.size(), r.size());
    assertEquals("R1", r.referenceId(0));
    assertEquals(base + 0.1f, r.score(0), 0, "the unrelated picture keeps its score");
    assertTrue(r.score(1) > base + PINNED.weight() / 2, "the copy is verified: " + r.score(1));

    // The instance keeps each pair's gain: the same pairs, other scores, the images gone.
    Predictions again = new Predictions(List.of("Q0"), List.of("R0", "R1"), new int[] {0, 0}, new int[] {0, 1},
        new float[] {-base, 2 * base});
    for (String file : List.of("R0.png", "R1.png", "Q0.jpg")) {
      assertTrue(dir.resolve(file).toFile().delete(), file);
    }
    Predictions kept = verification.rescore(again, id -> dir.resolve(id + ".jpg"), id -> dir.resolve(id + ".png"),
        Progress.none());
    assertEquals(-base + (r.score(1) - (base + 0f)), kept.score(0), 1e-6, "the copy's gain");
    assertEquals(2 * base, kept.score(1), 0, "no gain");
    assertThrows(ImageDecodeException.class, () -> new GeometricVerification(PINNED).rescore(again,
        id -> dir.resolve(id + ".jpg"), id -> dir.resolve(id + ".png"), Progress.none()), "a new instance reads them");
  }

  @Test
  void anImageMatchesItselfWithManyInliersAndANoiseImageWithNone() {
    GeometricVerification v = new GeometricVerification(PINNED);
    try (Mat a = picture(); Mat b = picture()) {
      GeometricVerification.Features fa = v.features(a);
      assertTrue(fa.size() > 100, "keypoints: " + fa.size());
      assertTrue(v.inliers(fa, fa) > 0.9 * fa.size(), v.inliers(fa, fa) + " of " + fa.size());
      int unrelated = v.inliers(fa, v.features(b));
      assertTrue(unrelated < PINNED.minInliers(), "unrelated pictures: " + unrelated + " inliers");
    }
  }

  @Test
  void badSettingsAndMissingImagesAreNamed(@TempDir Path dir) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new GeometricVerification.Options(500, 320, 0.85, 12, 5, 0.5, 6.0));
    assertTrue(e.getMessage().contains("saturation >= minInliers"), e.getMessage());
    Predictions p = new Predictions(List.of("Q0"), List.of("R0"), new int[] {0}, new int[] {0}, new float[] {1});
    ImageDecodeException missing = assertThrows(ImageDecodeException.class, () ->
        new GeometricVerification(GeometricVerification.Options.defaults()).rescore(p, id -> dir.resolve(id + ".jpg"),
            id -> dir.resolve(id + ".jpg"), Progress.none()));
    assertTrue(missing.getMessage().contains("Q0.jpg"), missing.getMessage());
  }
}
