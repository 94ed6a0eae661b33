package org.iscengine.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.iscengine.errors.IscException;
import org.iscengine.errors.IscException.Kind;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Uploads built to hurt: chunk lengths that point backwards, directory offsets out of their block,
 * headers declaring gigapixels over a few bytes of data, headers cut short. Each must end in an
 * answer (an image or an {@link ImageDecodeException} of the right kind) within a second, without
 * the memory the header asks for ever being allocated.
 */
class HostileImagesTest {
  /** Far more than any of these inputs needs when handled right; a walker that loops never returns. */
  private static final Duration FAST = Duration.ofSeconds(1);

  @BeforeAll
  static void loadOpenCv() {
    // Loading OpenCV's native libraries takes seconds: not what the timeouts below are about.
    try (Mat image = TestImages.natural(0, 8, 8);
        Mat back = Images.decode(Images.encode(image, ImageFormat.PNG, 90), "warm-up.png", 4096)) {
      assertEquals(8, back.cols());
    }
  }

  /** A natural test picture as a WebP file. */
  private static byte[] webp(long seed, int width, int height) {
    try (Mat image = TestImages.natural(seed, width, height)) {
      return Images.encode(image, ImageFormat.WEBP, 90);
    }
  }

  // ---- 1. chunk and segment walkers: every step moves forward and stops at the end ----

  @Test
  void webpFollowedByAJunkChunkOfNegativeLengthDecodes() {
    byte[] webp = webp(5, 40, 30);
    // A JUNK chunk whose length bytes F8 FF FF FF read as -8 signed: the RIFF walker of the EXIF
    // lookup stood still on it forever. The RIFF size is patched to cover the chunk's header.
    byte[] hostile = riffSized(concat(webp, ascii("JUNK"), le32(0xfffffff8)));
    assertEquals(1, (int) assertTimeoutPreemptively(FAST, () -> ImageFormat.WEBP.orientation(hostile)));
    try (Mat m = assertTimeoutPreemptively(FAST, () -> Images.decode(hostile, "junk.webp", 4096))) {
      assertEquals(40, m.cols());
      assertEquals(30, m.rows());
    }
  }

  @Test
  void riffChunksOfAnyLengthEndTheWalk() {
    byte[] webp = webp(6, 24, 16);
    // Every length that goes wrong as a signed int, odd ones (padding) and ones past the end.
    int[] lengths = {0xffffffff, 0xfffffff8, 0xfffffff7, 0x80000000, 0x7fffffff, 1, 0};
    for (int length : lengths) {
      byte[] hostile = riffSized(concat(webp, ascii("JUNK"), le32(length), ascii("EXIF")));
      assertEquals(1, (int) assertTimeoutPreemptively(FAST, () -> ImageFormat.WEBP.orientation(hostile)),
          Integer.toHexString(length));
    }
  }

  @Test
  void pngChunkOfNegativeLengthEndsTheWalk() {
    byte[] png = png(16, 8, 8, 2, deflate(new byte[8 * (1 + 16 * 3)]));
    // A tEXt chunk declaring FF FF FF F4 bytes (-12 signed) before the image data: 12 + length = 0.
    byte[] hostile = insertAfterIhdr(png, concat(be32(0xfffffff4), ascii("tEXt")));
    assertEquals(1, (int) assertTimeoutPreemptively(FAST, () -> ImageFormat.PNG.orientation(hostile)));
    ImageDecodeException e = assertTimeoutPreemptively(FAST,
        () -> assertThrows(ImageDecodeException.class, () -> Images.decode(hostile, "loop.png", 4096).close()));
    assertEquals(Kind.CORRUPT_DATA, e.kind());
  }

  @Test
  void jpegSegmentsOfBadLengthAreCorruptNotLoops() {
    byte[] jpeg;
    try (Mat image = TestImages.natural(7, 32, 24)) {
      jpeg = Images.encode(image, ImageFormat.JPEG, 90);
    }
    // An APP0 segment of length 0 (shorter than its own length field), before the frame header.
    byte[] zero = concat(Arrays.copyOf(jpeg, 2), new byte[] {(byte) 0xff, (byte) 0xe0, 0, 0}, tail(jpeg, 2));
    assertCorrupt("zero.jpg", zero, "segment");
    // A run of fill bytes and an APP segment running past the end: no frame header is ever found.
    byte[] fill = new byte[4096];
    Arrays.fill(fill, (byte) 0xff);
    byte[] endless = concat(new byte[] {(byte) 0xff, (byte) 0xd8}, fill, new byte[] {(byte) 0xe1, (byte) 0xff, (byte) 0xff},
        new byte[] {(byte) 0xff, (byte) 0xd9});
    assertCorrupt("fill.jpg", endless, "frame header");
  }

  @Test
  void exifDirectoryOutsideItsChunkIsIgnored() {
    byte[] png = png(16, 8, 8, 2, deflate(new byte[8 * (1 + 16 * 3)]));
    // A tEXt chunk whose text happens to be a directory saying "rotate 90 degrees" ...
    byte[] fakeIfd = {1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0};
    byte[] text = chunk("tEXt", fakeIfd);
    int ihdrEnd = 8 + 12 + 13;
    int fakeAt = ihdrEnd + 8;
    int exifAt = ihdrEnd + text.length + 8;
    // ... and an eXIf chunk whose first directory offset points back into it (a negative int).
    byte[] tiff = concat(ascii("II"), new byte[] {42, 0}, le32(fakeAt - exifAt), new byte[8]);
    byte[] hostile = insertAfterIhdr(png, concat(text, chunk("eXIf", tiff)));
    assertEquals(1, (int) assertTimeoutPreemptively(FAST, () -> ImageFormat.PNG.orientation(hostile)));
    // Pointing far past the end, or to itself as the next directory, is ignored the same way.
    byte[] cycle = concat(ascii("II"), new byte[] {42, 0}, le32(8), new byte[] {1, 0}, new byte[] {0x12, 0x01, 3, 0},
        le32(1), new byte[] {3, 0, 0, 0}, le32(8));
    byte[] far = concat(ascii("MM"), new byte[] {0, 42}, be32(0x7ffffff0), new byte[8]);
    byte[] many = concat(ascii("II"), new byte[] {42, 0}, le32(8), new byte[] {(byte) 0xff, (byte) 0xff}, new byte[12]);
    assertEquals(3, (int) assertTimeoutPreemptively(FAST,
        () -> ImageFormat.PNG.orientation(insertAfterIhdr(png, chunk("eXIf", cycle)))), "a directory linking to itself");
    assertEquals(1, (int) assertTimeoutPreemptively(FAST,
        () -> ImageFormat.PNG.orientation(insertAfterIhdr(png, chunk("eXIf", far)))));
    assertEquals(1, (int) assertTimeoutPreemptively(FAST,
        () -> ImageFormat.PNG.orientation(insertAfterIhdr(png, chunk("eXIf", many)))));
  }

  @Test
  void tiffDirectoriesThatPointAnywhereAreHandled() {
    // The first directory past the end of the file, or back into the file header.
    assertCorrupt("far.tif", concat(ascii("II"), new byte[] {42, 0}, le32(0xfffffff0), new byte[8]), "directory");
    assertCorrupt("back.tif", concat(ascii("II"), new byte[] {42, 0}, le32(2), new byte[8]), "directory");
    // 65 535 entries announced, two there.
    byte[] many = tiff(true, 8, 8, 8, 1, 1);
    many[8] = (byte) 0xff;
    many[9] = (byte) 0xff;
    assertCorrupt("many.tif", many, "directory");
    // BitsPerSample with a count whose byte size overflows an int, at an offset past the end.
    byte[] counts =
        tiffWith(new int[][] {{256, 3, 1, 8}, {257, 3, 1, 8}, {258, 3, 0x7fffffff, 0x7ffffff0}, {277, 3, 1, 4}});
    ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> Images.decode(counts, "counts.tif", 4096));
    assertTrue(e.kind() == Kind.CORRUPT_DATA || e.kind() == Kind.UNSUPPORTED, e.kind() + ": " + e.getMessage());
    // A next-directory offset pointing at its own directory: only the first directory is read.
    byte[] cycle = tiff(true, 4, 4, 8, 1, 1);
    assertTimeoutPreemptively(FAST, () -> {
      try {
        Images.decode(cycle, "cycle.tif", 4096).close();
      } catch (ImageDecodeException expected) {
        // the pixel data is made up: corrupt is an answer too
      }
    });
  }

  @Test
  void gifBlocksRunningOffTheEndAreCorruptOrDecoded() {
    byte[] header = concat(ascii("GIF89a"), le16(4), le16(4), new byte[] {0, 0, 0});
    // An extension whose sub-block lengths point past the end, and a descriptor cut short.
    byte[] ext = concat(header, new byte[] {0x21, (byte) 0xf9, (byte) 0xff, 1, 2, 3});
    byte[] desc = concat(header, new byte[] {0x2c, 0, 0, 0});
    for (byte[] hostile : new byte[][] {ext, desc}) {
      assertTimeoutPreemptively(FAST, () -> {
        ImageDecodeException e =
            assertThrows(ImageDecodeException.class, () -> Images.decode(hostile, "bad.gif", 4096));
        assertEquals(Kind.CORRUPT_DATA, e.kind(), e.getMessage());
      });
    }
  }

  // ---- 2. decompression bombs: refused from the header, before anything is allocated ----

  @Test
  void pngDeclaringTwentyThousandSquaredIsRefusedFromItsHeader() {
    // IHDR 20000 x 20000 RGB, then the first rows of zeros as a valid zlib stream (a few KB).
    byte[] bomb = png(20000, 20000, 8, 2, deflate(new byte[16 * (1 + 20000 * 3)]));
    assertTrue(bomb.length < 64 * 1024, "bomb is " + bomb.length + " bytes");
    assertRefused("bomb.png", bomb, "20000x20000");
    // 16 bits a sample, RGBA: 8 bytes a pixel.
    assertRefused("deep.png", png(12000, 12000, 16, 6, deflate(new byte[1 + 12000 * 8])), "12000x12000");
  }

  @Test
  void everyFormatsHeaderIsCheckedBeforeDecoding() {
    // BMP: 30000 x 30000, 24 bits, then nothing.
    byte[] bmp = concat(ascii("BM"), le32(54), le32(0), le32(54), le32(40), le32(30000), le32(30000), le16(1), le16(24),
        new byte[24]);
    assertRefused("bomb.bmp", bmp, "30000x30000");
    // BMP with a negative height (top-down rows).
    byte[] topDown = bmp.clone();
    ByteBuffer.wrap(topDown).order(ByteOrder.LITTLE_ENDIAN).putInt(22, -30000);
    assertRefused("topdown.bmp", topDown, "30000x30000");
    // GIF: a 1 x 1 screen holding a 65535 x 65535 frame.
    byte[] gif = concat(ascii("GIF89a"), le16(1), le16(1), new byte[] {0, 0, 0}, new byte[] {0x2c}, le16(0), le16(0),
        le16(65535), le16(65535), new byte[] {0, 2, 2, 0x44, 0x01, 0, 0x3b});
    assertRefused("bomb.gif", gif, "65535x65535");
    // WebP, extended: a 16384 x 16384 canvas.
    byte[] vp8x = riffSized(concat(ascii("RIFF"), le32(0), ascii("WEBP"), ascii("VP8X"), le32(10),
        new byte[] {0x10, 0, 0, 0}, le24(16383), le24(16383)));
    assertRefused("bomb.webp", vp8x, "16384x16384");
    // WebP, lossless: 16384 x 16384 in the VP8L header.
    int bits = 16383 | 16383 << 14;
    byte[] vp8l = riffSized(concat(ascii("RIFF"), le32(0), ascii("WEBP"), ascii("VP8L"), le32(5), new byte[] {0x2f},
        le32(bits), new byte[1]));
    assertRefused("lossless.webp", vp8l, "16384x16384");
    // TIFF: 6000 x 6000 float RGBA is 36 megapixels but 576 MB decoded.
    byte[] floats = tiffWith(new int[][] {{256, 3, 1, 6000}, {257, 3, 1, 6000}, {258, 3, 1, 32}, {277, 3, 1, 4},
        {339, 3, 1, 3}});
    assertRefused("float.tif", floats, "6000x6000");
    // JPEG: a frame header of 65000 x 65000 (decoded reduced, but still too many pixels).
    byte[] sof = {(byte) 0xff, (byte) 0xc0, 0, 17, 8, (byte) 0xfd, (byte) 0xe8, (byte) 0xfd, (byte) 0xe8, 3, 1, 0x11, 0, 2,
        0x11, 0, 3, 0x11, 0};
    byte[] jpeg = concat(new byte[] {(byte) 0xff, (byte) 0xd8}, sof, new byte[] {(byte) 0xff, (byte) 0xd9});
    assertRefused("bomb.jpg", jpeg, "65000x65000");
  }

  @Test
  void progressiveJpegIsChargedForItsCoefficients() {
    // 12000 x 12000 progressive, 4:4:4: decoded at 1/2 to 6000 px, but libjpeg keeps every
    // coefficient of the whole image (2 bytes each: 864 MB) until the last scan.
    byte[] sof = {(byte) 0xff, (byte) 0xc2, 0, 17, 8, 0x2e, (byte) 0xe0, 0x2e, (byte) 0xe0, 3, 1, 0x11, 0, 2, 0x11, 0, 3,
        0x11, 0};
    byte[] jpeg = concat(new byte[] {(byte) 0xff, (byte) 0xd8}, sof, new byte[] {(byte) 0xff, (byte) 0xd9});
    assertRefused("progressive.jpg", jpeg, "12000x12000");
  }

  @Test
  void largeButHonestImagesStillDecode() {
    // Just under the caps: nothing legitimate that the old decoder took is refused by accident.
    try (Mat wide = TestImages.natural(9, 5000, 40)) {
      for (ImageFormat f : ImageFormat.values()) {
        byte[] bytes = Images.encode(wide, f, 90);
        try (Mat m = Images.decode(bytes, "wide." + f.extension(), 4096)) {
          assertEquals(4096, m.cols(), f.toString());
        }
      }
    }
  }

  @Test
  void anImageLargerThanItsHeaderSaidIsCaughtBeforeItIsCopied() {
    // A Mat that says 20000 x 20000 x 4 over one byte of memory: only its header is ever read.
    try (BytePointer one = new BytePointer(1)) {
      Mat liar = new Mat(20000, 20000, opencv_core.CV_8UC4, one);
      ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> Images.checkDecoded(liar, "liar.png"));
      assertEquals(Kind.OUT_OF_RESOURCES, e.kind());
      assertTrue(e.getMessage().contains("20000x20000") && e.getMessage().contains("liar.png"), e.getMessage());
      assertTrue(liar.isNull(), "the refused image is released");
    }
    try (Mat fine = new Mat(10, 10, opencv_core.CV_8UC3)) {
      Images.checkDecoded(fine, "fine.png");
    }
  }

  @Test
  void resizingToAHugeSizeIsRefused() {
    try (Mat strip = TestImages.natural(1, 4096, 1)) {
      // A 4096 x 1 upload, its short side brought to 320: 1.3 million x 320 pixels.
      IscException e = assertTimeoutPreemptively(FAST,
          () -> assertThrows(IscException.class, () -> ImageOps.resize(strip, 4096 * 320, 320)));
      assertEquals(Kind.OUT_OF_RESOURCES, e.kind());
      assertTrue(e.getMessage().contains("1310720x320"), e.getMessage());
    }
  }

  @Test
  void turningAStripOntoAHugeCanvasIsRefused() {
    try (Mat strip = TestImages.natural(2, 16384, 1)) {
      // Turned by 45 degrees, a 16384 x 1 strip needs a canvas of 11586 x 11586: 134 million pixels.
      IscException e = assertTimeoutPreemptively(FAST,
          () -> assertThrows(IscException.class, () -> ImageOps.rotate(strip, 45)));
      assertEquals(Kind.OUT_OF_RESOURCES, e.kind());
      assertTrue(e.getMessage().contains("16384x1"), e.getMessage());
    }
    try (Mat small = TestImages.natural(2, 64, 1);
        Mat turned = ImageOps.rotate(small, 45)) {
      assertEquals(46, turned.cols(), "a small strip is turned");
    }
  }

  // ---- 3. unknown, unsupported and cut-short headers: a clear kind and reason ----

  @Test
  void unsupportedFormatsAreNamed() {
    byte[] heic = concat(be32(24), ascii("ftypheic"), new byte[16]);
    byte[] avif = concat(be32(24), ascii("ftypavif"), new byte[16]);
    byte[] bigTiff = concat(ascii("II"), new byte[] {43, 0, 8, 0, 0, 0}, new byte[16]);
    byte[] psd = concat(ascii("8BPS"), new byte[30]);
    assertKind("photo.heic", heic, Kind.UNSUPPORTED, "HEIF");
    assertKind("photo.avif", avif, Kind.UNSUPPORTED, "AVIF");
    assertKind("big.tif", bigTiff, Kind.UNSUPPORTED, "BigTIFF");
    assertKind("layers.psd", psd, Kind.UNSUPPORTED, "Photoshop");
    assertKind("random.bin", new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, Kind.CORRUPT_DATA, "not an image");
  }

  @Test
  void headersCutShortAreCorruptNotCrashes() {
    byte[] png = png(16, 8, 8, 2, deflate(new byte[8 * (1 + 16 * 3)]));
    byte[] gif;
    byte[] bmp;
    byte[] tif;
    byte[] webp;
    byte[] jpeg;
    try (Mat image = TestImages.natural(8, 16, 8)) {
      gif = Images.encode(image, ImageFormat.GIF, 90);
      bmp = Images.encode(image, ImageFormat.BMP, 90);
      tif = Images.encode(image, ImageFormat.TIFF, 90);
      webp = Images.encode(image, ImageFormat.WEBP, 90);
      jpeg = Images.encode(image, ImageFormat.JPEG, 90);
    }
    // Every prefix of the first 64 bytes (the headers) of every format; for PNG, WebP and JPEG
    // also with the end marker put back, so the truncation check alone does not answer.
    for (byte[] whole : new byte[][] {png, gif, bmp, tif, webp, jpeg}) {
      for (int n = 1; n < Math.min(64, whole.length); n++) {
        byte[] cut = Arrays.copyOf(whole, n);
        for (byte[] hostile : new byte[][] {cut, concat(cut, ascii("IEND"), new byte[4]),
            concat(cut, new byte[] {(byte) 0xff, (byte) 0xd9}), riffSized(cut)}) {
          assertTimeoutPreemptively(FAST, () -> {
            try {
              Images.decode(hostile, "cut", 4096).close();
            } catch (ImageDecodeException e) {
              // What was appended may land in the header and declare a huge image.
              assertTrue(e.kind() != Kind.INTERNAL, e.kind() + ": " + e.getMessage());
            }
          });
        }
      }
    }
    assertKind("short.bmp", Arrays.copyOf(bmp, 20), Kind.CORRUPT_DATA, "BMP header");
    assertKind("short.gif", Arrays.copyOf(gif, 8), Kind.CORRUPT_DATA, "GIF header");
    assertKind("short.tif", Arrays.copyOf(tif, 6), Kind.CORRUPT_DATA, "TIFF header");
  }

  @Test
  void mutatedImagesOfEveryFormatEndInAnImageOrADecodeError() {
    // Seeded mutations of small valid files, most of them in the headers: a byte or bit changed,
    // a 32-bit value that goes wrong signed written in either byte order, the end cut off. The
    // walkers and OpenCV behind them must answer every one with an image or ImageDecodeException.
    // (Run locally at 120 000 mutations: no other exception, no crash, none over 0.7 s.)
    List<byte[]> seeds = new ArrayList<>();
    try (Mat image = TestImages.natural(11, 37, 23);
        Mat bgra = new Mat(9, 13, opencv_core.CV_8UC4, new Scalar(10, 20, 30, 128))) {
      for (ImageFormat f : ImageFormat.values()) {
        seeds.add(Images.encode(image, f, 80));
        seeds.add(Images.encode(bgra, f, 80));
      }
      seeds.add(ImagesTest.withPngExifOrientation(Images.encode(image, ImageFormat.PNG, 80), 6));
      seeds.add(ImagesTest.withExifOrientation(Images.encode(image, ImageFormat.JPEG, 80), 6));
    }
    int[] values = {0xffffffff, 0x7fffffff, 0x80000000, 0xfffffff8, 0xfffffff4, 0, 1, 0xffff, 0x10000};
    // A walker that stops moving forward fails this in a minute rather than hanging the build.
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      Random r = new Random(20261206);
      for (int it = 0; it < 2000; it++) {
        byte[] b = seeds.get(r.nextInt(seeds.size())).clone();
        int how = r.nextInt(4);
        for (int m = 1 + r.nextInt(4); m > 0; m--) {
          int at = r.nextInt(r.nextBoolean() ? Math.min(b.length, 80) : b.length);
          switch (how) {
            case 0 -> b[at] = (byte) r.nextInt(256);
            case 1 -> b[at] ^= (byte) (1 << r.nextInt(8));
            case 2 -> {
              int v = values[r.nextInt(values.length)];
              byte[] bytes = r.nextBoolean() ? le32(v) : be32(v);
              System.arraycopy(bytes, 0, b, at, Math.min(4, b.length - at));
            }
            default -> b = b.length > 20 ? Arrays.copyOf(b, 12 + r.nextInt(b.length - 12)) : b;
          }
        }
        try (Mat m = Images.decode(b, "mutated", 4096)) {
          assertEquals(3, m.channels());
        } catch (ImageDecodeException e) {
          assertTrue(e.kind() != Kind.INTERNAL && e.getMessage().startsWith("mutated: "), e.getMessage());
        }
      }
    });
  }

  // ---- helpers ----

  private static void assertRefused(String name, byte[] bomb, String dimensions) {
    ImageDecodeException e = assertTimeoutPreemptively(FAST,
        () -> assertThrows(ImageDecodeException.class, () -> Images.decode(bomb, name, 4096).close(), name));
    assertEquals(Kind.OUT_OF_RESOURCES, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains(name) && e.getMessage().contains(dimensions), e.getMessage());
  }

  private static void assertCorrupt(String name, byte[] content, String reason) {
    assertKind(name, content, Kind.CORRUPT_DATA, reason);
  }

  private static void assertKind(String name, byte[] content, Kind kind, String reason) {
    ImageDecodeException e = assertTimeoutPreemptively(FAST,
        () -> assertThrows(ImageDecodeException.class, () -> Images.decode(content, name, 4096).close(), name));
    assertEquals(kind, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains(name) && e.getMessage().contains(reason), e.getMessage());
  }

  /** A PNG: signature, IHDR, one IDAT, IEND, all with their CRCs. */
  static byte[] png(int width, int height, int bitDepth, int colorType, byte[] idat) {
    byte[] ihdr = concat(be32(width), be32(height), new byte[] {(byte) bitDepth, (byte) colorType, 0, 0, 0});
    return concat(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, chunk("IHDR", ihdr), chunk("IDAT", idat),
        chunk("IEND", new byte[0]));
  }

  static byte[] chunk(String type, byte[] data) {
    CRC32 crc = new CRC32();
    crc.update(ascii(type));
    crc.update(data);
    return concat(be32(data.length), ascii(type), data, be32((int) crc.getValue()));
  }

  static byte[] insertAfterIhdr(byte[] png, byte[] chunks) {
    int ihdrEnd = 8 + 12 + 13;
    return concat(Arrays.copyOf(png, ihdrEnd), chunks, tail(png, ihdrEnd));
  }

  static byte[] deflate(byte[] raw) {
    Deflater d = new Deflater(9);
    d.setInput(raw);
    d.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    while (!d.finished()) {
      out.write(buf, 0, d.deflate(buf));
    }
    d.end();
    return out.toByteArray();
  }

  /** The RIFF size field set to cover the whole buffer. */
  static byte[] riffSized(byte[] riff) {
    byte[] out = riff.clone();
    if (out.length >= 8) {
      ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(4, out.length - 8);
    }
    return out;
  }

  /** A little-endian TIFF of one uncompressed strip: width x height, samples of bits each. */
  static byte[] tiff(boolean selfLinked, int width, int height, int bits, int samples, int photometric) {
    int[][] entries = {{256, 3, 1, width}, {257, 3, 1, height}, {258, 3, 1, bits}, {259, 3, 1, 1}, {262, 3, 1, photometric},
        {273, 4, 1, 0}, {277, 3, 1, samples}, {278, 3, 1, height}, {279, 4, 1, width * height * samples * bits / 8}};
    byte[] t = tiffWith(entries);
    ByteBuffer bb = ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN);
    int dataAt = 8 + 2 + 12 * entries.length + 4;
    bb.putInt(8 + 2 + 12 * 5 + 8, dataAt);  // StripOffsets: right after the directory
    if (selfLinked) {
      bb.putInt(8 + 2 + 12 * entries.length, 8);
    }
    return concat(t, new byte[width * height * samples * bits / 8]);
  }

  /** A little-endian TIFF header and first directory of {tag, type, count, value} entries. */
  static byte[] tiffWith(int[][] entries) {
    ByteBuffer bb = ByteBuffer.allocate(8 + 2 + 12 * entries.length + 4).order(ByteOrder.LITTLE_ENDIAN);
    bb.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8).putShort((short) entries.length);
    for (int[] e : entries) {
      bb.putShort((short) e[0]).putShort((short) e[1]).putInt(e[2]);
      if (e[1] == 3 && e[2] <= 2) {
        bb.putShort((short) e[3]).putShort((short) 0);
      } else {
        bb.putInt(e[3]);
      }
    }
    bb.putInt(0);
    return bb.array();
  }

  static byte[] tail(byte[] b, int from) {
    return Arrays.copyOfRange(b, from, b.length);
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  static byte[] be32(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN).putInt(v).array();
  }

  static byte[] le32(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }

  static byte[] le24(int v) {
    return new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16)};
  }

  static byte[] le16(int v) {
    return new byte[] {(byte) v, (byte) (v >> 8)};
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
