package org.iscengine.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ImagesTest {
  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(ImageFormat.class)
  void everyFormatRoundTrips(ImageFormat format) throws Exception {
    try (Mat image = TestImages.natural(format.ordinal(), 97, 61)) {
      Path file = dir.resolve("picture." + format.extension());
      if (format == ImageFormat.GIF) {
        // OpenCV writes GIF too; palette quantisation makes it lossy, so check the shape only.
        Images.write(file, image, 90);
        try (Mat back = Images.read(file)) {
          assertEquals(97, back.cols());
          assertEquals(61, back.rows());
        }
        return;
      }
      Images.write(file, image, 95);
      try (Mat back = Images.read(file)) {
        assertEquals(97, back.cols());
        assertEquals(61, back.rows());
        assertEquals(3, back.channels());
        if (format == ImageFormat.PNG || format == ImageFormat.BMP || format == ImageFormat.TIFF) {
          assertArrayEquals(TestImages.bytes(image), TestImages.bytes(back), format + " is lossless");
        }
      }
    }
  }

  @Test
  void grayscaleAlphaAndSixteenBitBecomeEightBitBgr() throws Exception {
    try (Mat gray = new Mat(5, 7, opencv_core.CV_8UC1, new Scalar(77));
        Mat deep = new Mat(5, 7, opencv_core.CV_16UC1, new Scalar(257 * 200));
        Mat bgra = new Mat(2, 2, opencv_core.CV_8UC4, new Scalar(10, 20, 30, 255))) {
      try (UByteIndexer px = bgra.createIndexer()) {
        px.put(0, 0, 3, 0);  // fully transparent
        px.put(1, 1, 3, 128);
      }
      opencv_imgcodecs.imwrite(dir.resolve("gray.png").toString(), gray);
      opencv_imgcodecs.imwrite(dir.resolve("deep.png").toString(), deep);
      opencv_imgcodecs.imwrite(dir.resolve("alpha.png").toString(), bgra);
      try (Mat g = Images.read(dir.resolve("gray.png"));
          Mat d = Images.read(dir.resolve("deep.png"));
          Mat a = Images.read(dir.resolve("alpha.png"));
          UByteIndexer gi = g.createIndexer();
          UByteIndexer di = d.createIndexer();
          UByteIndexer ai = a.createIndexer()) {
        assertEquals(3, g.channels());
        assertEquals(77, gi.get(2, 3, 0));
        assertEquals(77, gi.get(2, 3, 2));
        assertEquals(opencv_core.CV_8U, d.depth());
        assertEquals(200, di.get(4, 6, 1));
        assertEquals(255, ai.get(0, 0, 0), "transparent pixels become white");
        assertEquals(10, ai.get(0, 1, 0), "opaque pixels keep their colour");
        assertEquals((30 * 128 + 255 * 127 + 127) / 255, ai.get(1, 1, 2), "half transparency blends with white");
      }
    }
  }

  @Test
  void everyTranslucentPixelIsBlendedWithWhiteExactly() {
    java.util.Random random = new java.util.Random(org.iscengine.testing.RandomTensors.freshSeed());
    for (int channels : new int[] {2, 4}) {
      int rows = 23;
      int cols = 37;
      try (Mat image = new Mat(rows, cols, opencv_core.CV_8UC(channels))) {
        try (UByteIndexer px = image.createIndexer()) {
          for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
              for (int c = 0; c < channels; c++) {
                px.put(y, x, c, random.nextInt(256));
              }
            }
          }
        }
        try (Mat read = Images.overWhite(image);
            UByteIndexer in = image.createIndexer();
            UByteIndexer out = read.createIndexer()) {
          assertEquals(3, read.channels());
          for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
              int alpha = in.get(y, x, channels - 1);
              for (int c = 0; c < 3; c++) {
                int v = in.get(y, x, channels == 2 ? 0 : c);
                assertEquals((v * alpha + 255 * (255 - alpha) + 127) / 255, out.get(y, x, c),
                    channels + " channels, pixel " + y + "," + x + " channel " + c);
              }
            }
          }
        }
      }
    }
  }

  @Test
  void exifOrientationIsApplied() throws Exception {
    try (Mat image = TestImages.natural(3, 40, 20)) {
      // Mark the top-left corner white so its destination can be found.
      try (UByteIndexer px = image.createIndexer()) {
        for (int y = 0; y < 4; y++) {
          for (int x = 0; x < 4; x++) {
            for (int c = 0; c < 3; c++) {
              px.put(y, x, c, 255);
            }
          }
        }
      }
      byte[] jpeg = withExifOrientation(Images.encode(image, ImageFormat.JPEG, 95), 6);
      byte[] png = withPngExifOrientation(Images.encode(image, ImageFormat.PNG, 95), 8);
      // 6: rotate 90 degrees clockwise, so the white corner goes to the top right.
      try (Mat j = Images.decode(jpeg, "oriented.jpg", 4096);
          UByteIndexer px = j.createIndexer()) {
        assertEquals(20, j.cols());
        assertEquals(40, j.rows());
        assertTrue(px.get(1, 18, 0) > 200, "corner at top right");
      }
      // 8: rotate 90 degrees counter-clockwise, so it goes to the bottom left.
      try (Mat p = Images.decode(png, "oriented.png", 4096);
          UByteIndexer px = p.createIndexer()) {
        assertEquals(20, p.cols());
        assertEquals(40, p.rows());
        assertEquals(255, px.get(38, 1, 0), "corner at bottom left");
      }
    }
  }

  @Test
  void hugeImagesAreCappedNotRejected() {
    try (Mat wide = TestImages.natural(1, 3000, 100)) {
      byte[] png = Images.encode(wide, ImageFormat.PNG, 95);
      byte[] jpeg = Images.encode(wide, ImageFormat.JPEG, 90);
      try (Mat p = Images.decode(png, "wide.png", 500);
          Mat j = Images.decode(jpeg, "wide.jpg", 500)) {
        assertEquals(500, p.cols());
        assertEquals(17, p.rows());
        assertEquals(500, j.cols(), "JPEG decoded at reduced scale, then capped");
        assertTrue(j.rows() >= 16 && j.rows() <= 18, "rows " + j.rows());
      }
    }
  }

  @Test
  void badFilesNameTheFileAndTheReason() throws Exception {
    byte[] jpeg;
    byte[] png;
    try (Mat image = TestImages.natural(2, 64, 48)) {
      jpeg = Images.encode(image, ImageFormat.JPEG, 90);
      png = Images.encode(image, ImageFormat.PNG, 90);
    }
    assertBad("empty.jpg", new byte[0], "empty file");
    assertBad("notes.jpg", "just some text\n".getBytes(StandardCharsets.UTF_8), "not an image");
    assertBad("half.jpg", Arrays.copyOf(jpeg, jpeg.length / 2), "truncated JPEG");
    assertBad("half.png", Arrays.copyOf(png, png.length / 2), "truncated PNG");
    byte[] scrambled = jpeg.clone();
    for (int i = 20; i < scrambled.length - 2; i++) {
      scrambled[i] = (byte) (i * 31);
    }
    assertBad("scrambled.jpg", scrambled, "");
    ImageDecodeException missing =
        assertThrows(ImageDecodeException.class, () -> Images.read(dir.resolve("nowhere.png")));
    assertTrue(missing.getMessage().contains("nowhere.png") && missing.getMessage().contains("not found"));
  }

  private void assertBad(String name, byte[] content, String reason) throws Exception {
    Path file = dir.resolve(name);
    Files.write(file, content);
    ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> Images.read(file).close(), name);
    assertTrue(e.getMessage().contains(name), e.getMessage());
    assertTrue(e.getMessage().contains(reason), e.getMessage());
  }

  @Test
  void jpegQualityChangesTheBytes() {
    try (Mat image = TestImages.natural(4, 128, 128)) {
      byte[] low = Images.encode(image, ImageFormat.JPEG, 10);
      byte[] high = Images.encode(image, ImageFormat.JPEG, 95);
      assertTrue(low.length < high.length / 2, low.length + " vs " + high.length);
      assertArrayEquals(high, Images.encode(image, ImageFormat.JPEG, 95), "encoding is deterministic");
      assertThrows(IllegalArgumentException.class, () -> Images.encode(image, ImageFormat.JPEG, 0));
      assertThrows(IllegalArgumentException.class, () -> Images.write(dir.resolve("x.heic"), image, 90));
    }
  }

  /** A JPEG with an APP1 Exif segment holding one orientation tag, right after SOI. */
  static byte[] withExifOrientation(byte[] jpeg, int orientation) {
    byte[] tiff = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte) orientation, 0, 0, 0, 0, 0, 0};
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2);
    int length = 2 + 6 + tiff.length;
    out.write(0xff);
    out.write(0xe1);
    out.write(length >> 8);
    out.write(length & 0xff);
    out.writeBytes("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(tiff);
    out.write(jpeg, 2, jpeg.length - 2);
    return out.toByteArray();
  }

  /** A PNG with an eXIf chunk (after IHDR) holding one orientation tag. */
  static byte[] withPngExifOrientation(byte[] png, int orientation) {
    byte[] tiff = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte) orientation, 0, 0, 0, 0, 0, 0, 0};
    int ihdrEnd = 8 + 12 + 13;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(png, 0, ihdrEnd);
    byte[] type = "eXIf".getBytes(StandardCharsets.ISO_8859_1);
    out.write(0);
    out.write(0);
    out.write(tiff.length >> 8);
    out.write(tiff.length & 0xff);
    out.writeBytes(type);
    out.writeBytes(tiff);
    CRC32 crc = new CRC32();
    crc.update(type);
    crc.update(tiff);
    long c = crc.getValue();
    out.write((int) (c >> 24) & 0xff);
    out.write((int) (c >> 16) & 0xff);
    out.write((int) (c >> 8) & 0xff);
    out.write((int) c & 0xff);
    out.write(png, ihdrEnd, png.length - ihdrEnd);
    return out.toByteArray();
  }
}
