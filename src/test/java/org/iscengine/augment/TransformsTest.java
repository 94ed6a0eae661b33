package org.iscengine.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.iscengine.image.ImageFormat;
import org.iscengine.image.Images;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Each transform: same seed, same bytes; and the effect it claims. */
class TransformsTest {
  private static final Resources RES = new Resources(ImagePool.empty(), Fonts.system(), EmojiSet.generated());
  private static Mat image;

  @BeforeAll
  static void picture() {
    image = TestImages.natural(11, 120, 90);
  }

  @AfterAll
  static void release() {
    image.close();
  }

  static Stream<Transform> all() {
    return Stream.of(
        new RandomResizedCrop(0.2, 1.0, 64), Resize.square(50), new Rotate(-40, 40, true), new Rotate(-40, 40, false),
        new Rotate90(), new Flip(true), new Flip(false), new ColorJitter(0.7, 0.7, 0.7, 0.2), new Grayscale(),
        new Blur(0.5, 3), new Pixelize(0.1, 0.5), new ShufflePixels(0.1, 0.4), new JpegQuality(new int[] {10, 50}),
        new Perspective(0.5), new Pad(0.05, 0.2), new EdgeEnhance(), RandomErasing.defaults(), TextOverlay.lyakaap(),
        new EmojiOverlay(0.1, 0.3, 0.5, 1), new OverlayOntoBackground(0.4, 0.6, 0.6, 1), new OverlayImage(0.3, 0.5, 0.5, 1),
        new Opacity(0.2, 0.8), new MemeCaption(0.15, 0.3, true), new Mixup(0.3, 0.7), new CutMix(0.1, 0.4));
  }

  private static byte[] run(Transform t, long seed) {
    Mat out = t.apply(image, new Rng(seed), RES);
    try {
      assertEquals(3, out.channels());
      return TestImages.bytes(out);
    } finally {
      if (out != image) {
        out.close();
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("all")
  void sameSeedSameBytesAndInputUntouched(Transform t) {
    byte[] before = TestImages.bytes(image);
    byte[] first = run(t, 42);
    assertArrayEquals(first, run(t, 42), t + " is not deterministic");
    assertArrayEquals(before, TestImages.bytes(image), t + " modified its input");
  }

  @Test
  void randomTransformsVaryWithTheSeed() {
    for (Transform t : all().toList()) {
      if (t instanceof Flip || t instanceof Grayscale || t instanceof EdgeEnhance || t instanceof Resize) {
        continue;
      }
      boolean differs = false;
      byte[] first = run(t, 1);
      for (long seed = 2; seed < 8 && !differs; seed++) {
        differs = !Arrays.equals(first, run(t, seed));
      }
      assertTrue(differs, t + " ignores its seed");
    }
  }

  @Test
  void grayscaleHasEqualChannels() {
    try (Mat g = new Grayscale().apply(image, new Rng(1), RES);
        UByteIndexer px = g.createIndexer()) {
      for (int y = 0; y < g.rows(); y += 7) {
        for (int x = 0; x < g.cols(); x += 7) {
          assertEquals(px.get(y, x, 0), px.get(y, x, 1));
          assertEquals(px.get(y, x, 1), px.get(y, x, 2));
        }
      }
    }
  }

  @Test
  void cropsStayWithinTheScaleAndRatioRanges() {
    RandomResizedCrop crop = new RandomResizedCrop(0.3, 0.6, 0.5, 2.0, 0);
    double area = image.cols() * image.rows();
    for (long seed = 0; seed < 300; seed++) {
      try (Mat c = crop.apply(image, new Rng(seed), RES)) {
        double fraction = c.cols() * c.rows() / area;
        double ratio = (double) c.cols() / c.rows();
        // Rounding to whole pixels moves the area and ratio a little.
        assertTrue(fraction > 0.3 - 0.03 && fraction < 0.6 + 0.03, "area fraction " + fraction);
        assertTrue(ratio > 0.5 * 0.9 && ratio < 2.0 * 1.1, "ratio " + ratio);
      }
    }
  }

  @Test
  void jpegLosesMoreAtLowerQuality() {
    double errLow = error(new JpegQuality(new int[] {10}));
    double errHigh = error(new JpegQuality(new int[] {90}));
    assertTrue(errLow > 1.5 * errHigh && errHigh > 0, errLow + " vs " + errHigh);
  }

  private static double error(Transform t) {
    try (Mat out = t.apply(image, new Rng(0), RES)) {
      byte[] a = TestImages.bytes(image);
      byte[] b = TestImages.bytes(out);
      double sum = 0;
      for (int i = 0; i < a.length; i++) {
        sum += Math.abs((a[i] & 0xff) - (b[i] & 0xff));
      }
      return sum / a.length;
    }
  }

  @Test
  void geometryAndShapes() {
    try (Mat r = new Rotate90().apply(image, new Rng(0), RES)) {
      assertTrue(r.cols() == image.cols() && r.rows() == image.rows() || r.cols() == image.rows() && r.rows() == image.cols());
    }
    try (Mat f = new Flip(true).apply(image, new Rng(0), RES);
        UByteIndexer a = image.createIndexer();
        UByteIndexer b = f.createIndexer()) {
      assertEquals(a.get(5, 0, 1), b.get(5, image.cols() - 1, 1));
    }
    try (Mat p = new Pad(0.1, 0.1).apply(image, new Rng(0), RES)) {
      assertEquals(image.cols() + 2 * 12, p.cols());
      assertEquals(image.rows() + 2 * 9, p.rows());
    }
    try (Mat m = new MemeCaption(0.2, 0.2, false).apply(image, new Rng(0), RES)) {
      assertEquals(image.rows() + 18, m.rows());
      assertEquals(image.cols(), m.cols());
    }
    try (Mat o = new OverlayOntoBackground(0.5, 0.5, 1, 1).apply(image, new Rng(0), RES)) {
      assertEquals(256, o.cols(), "the result takes the background's size (a generated 256 x 256)");
    }
    try (Mat r = new Rotate(30, 30, true).apply(image, new Rng(0), RES)) {
      assertTrue(r.cols() < image.cols() && r.rows() < image.rows(), "cropped inside the rotated image");
    }
  }

  @Test
  void levelsAndFactorsAtTheirEnds() {
    assertArrayEquals(TestImages.bytes(image), run(new Opacity(1, 1), 0), "opacity 1 keeps the image");
    byte[] white = run(new Opacity(0, 0), 0);
    for (byte b : white) {
      assertEquals((byte) 255, b);
    }
    assertArrayEquals(TestImages.bytes(image), run(new ShufflePixels(0, 0), 0));
    assertArrayEquals(TestImages.bytes(image), run(new Mixup(1, 1), 0));
    assertArrayEquals(TestImages.bytes(image), run(new ColorJitter(0, 0, 0, 0), 0));
    // A full shuffle keeps the same pixels, elsewhere.
    byte[] shuffled = run(new ShufflePixels(1, 1), 0);
    assertFalse(Arrays.equals(TestImages.bytes(image), shuffled));
    assertArrayEquals(sortedPixels(TestImages.bytes(image)), sortedPixels(shuffled));
  }

  private static long[] sortedPixels(byte[] bgr) {
    long[] p = new long[bgr.length / 3];
    for (int i = 0; i < p.length; i++) {
      p[i] = (bgr[3 * i] & 0xffL) << 16 | (bgr[3 * i + 1] & 0xffL) << 8 | (bgr[3 * i + 2] & 0xffL);
    }
    Arrays.sort(p);
    return p;
  }

  @Test
  void blurSmoothsAndEdgeEnhanceKeepsFlatAreas() {
    try (Mat flat = new Mat(20, 20, opencv_core.CV_8UC3, new Scalar(100, 120, 140, 0));
        Mat e = new EdgeEnhance().apply(flat, new Rng(0), RES)) {
      assertArrayEquals(TestImages.bytes(flat), TestImages.bytes(e));
    }
    assertTrue(roughness(run(new Blur(2, 2), 0)) < roughness(TestImages.bytes(image)) / 2);
  }

  private static double roughness(byte[] bgr) {
    double s = 0;
    for (int i = 3; i < bgr.length; i++) {
      s += Math.abs((bgr[i] & 0xff) - (bgr[i - 3] & 0xff));
    }
    return s / bgr.length;
  }

  @Test
  void overlaysTouchOnlyPartOfTheImage() {
    for (Transform t : List.of(new EmojiOverlay(0.2, 0.2, 1, 1), TextOverlay.lyakaap(), new CutMix(0.1, 0.1))) {
      byte[] a = TestImages.bytes(image);
      byte[] b = run(t, 3);
      int changed = 0;
      for (int i = 0; i < a.length; i++) {
        changed += a[i] != b[i] ? 1 : 0;
      }
      assertTrue(changed > 0 && changed < a.length / 2, t + " changed " + changed + " of " + a.length);
    }
  }

  @Test
  void badParametersAreNamed() {
    assertMessage(() -> new RandomResizedCrop(0.5, 0.2, 0), "scale");
    assertMessage(() -> new Blur(0, 1), "sigma");
    assertMessage(() -> new JpegQuality(new int[] {0}), "JPEG quality");
    assertMessage(() -> new ColorJitter(-1, 0, 0, 0), "brightness");
    assertMessage(() -> new Opacity(0.5, 1.5), "level");
    assertMessage(() -> Compose.maybe(1.5, new Flip(true)), "probability");
    assertMessage(() -> Presets.named("nope", 256), "unknown augmentation preset 'nope'");
  }

  private static void assertMessage(org.junit.jupiter.api.function.Executable call, String fragment) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }

  @Test
  void augmenterAlwaysReturnsANewImage() {
    Augmenter identity = new Augmenter(Compose.maybe(0, new Flip(true)), RES);
    try (Mat out = identity.apply(image, 1)) {
      assertNotSame(image, out);
      assertArrayEquals(TestImages.bytes(image), TestImages.bytes(out));
    }
    try (Mat gray = Images.decode(Images.encode(image, ImageFormat.PNG, 90), "x.png", 4096)) {
      assertEquals(3, gray.channels());
    }
  }
}
