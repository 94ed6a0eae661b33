package org.iscengine.image;

import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.iscengine.errors.IscException;
import org.iscengine.io.AtomicFile;

/**
 * Reading and writing images with OpenCV. Every decoded image comes back as an 8-bit BGR
 * {@link Mat} whatever the file held: EXIF orientation applied, grayscale expanded, transparency
 * composited over white, 16-bit and float scaled to 8 bits, and sides longer than a cap shrunk
 * (large JPEGs are decoded at reduced scale directly). Anything else fails with an
 * {@link ImageDecodeException} naming the file and the reason. Thread-safe.
 *
 * <p>The bytes may come from anyone (an upload to {@code isc serve}). Before OpenCV sees them, the
 * header of their format is read: what it declares is refused when it is cut short or corrupt
 * ({@link IscException.Kind#CORRUPT_DATA}), in a format that is not supported
 * ({@link IscException.Kind#UNSUPPORTED}), or larger than {@link #MAX_PIXELS} or
 * {@link #MAX_DECODED_BYTES} ({@link IscException.Kind#OUT_OF_RESOURCES}: a size limit, answered
 * 413 by the server), so that a few kilobytes declaring gigapixels never reach an allocation. What
 * OpenCV returns is checked against the same limits again before it is copied.
 */
public final class Images {
  /** Longest side of a decoded image unless told otherwise; larger ones are scaled down. */
  public static final int DEFAULT_MAX_SIDE = 4096;

  /**
   * Most pixels an image may have once decoded: 2^26, 67.1 megapixels (8192 x 8192). Larger ones
   * are refused from their header, before anything is decoded.
   */
  public static final long MAX_PIXELS = 1L << 26;

  /**
   * Most pixels a JPEG may declare: 2^28, 268.4 megapixels (16384 x 16384). A JPEG with sides
   * over twice the cap is decoded at 1/2, 1/4 or 1/8 scale directly, and what is decoded must stay
   * under {@link #MAX_PIXELS}; this bounds the work of reading it.
   */
  public static final long MAX_JPEG_PIXELS = 1L << 28;

  /**
   * Most bytes decoding one image may take: 512 MiB, for the decoded pixels at their depth and
   * channels (64 megapixels of 16-bit RGBA) plus the decoder's own buffers (a progressive JPEG's
   * coefficients, a TIFF strip, a GIF canvas), estimated from the header before decoding.
   */
  public static final long MAX_DECODED_BYTES = 1L << 29;

  /** Default JPEG quality of {@link #write}. */
  public static final int DEFAULT_JPEG_QUALITY = 92;

  private Images() {}

  /** Reads an image file with the default cap. */
  public static Mat read(Path file) {
    return read(file, DEFAULT_MAX_SIDE);
  }

  public static Mat read(Path file, int maxSide) {
    byte[] data;
    try {
      data = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ImageDecodeException(IscException.Kind.INVALID_INPUT, file.toString(), "file not found", null);
    } catch (IOException e) {
      throw new ImageDecodeException(IscException.Kind.of(e),
          file.toString(), "cannot be read (" + e.getMessage() + ")",
          e);
    }
    return decode(data, file.toString(), maxSide);
  }

  /**
   * Decodes image bytes (JPEG, PNG, WebP, BMP, TIFF, GIF); {@code source} names them in errors.
   * The caller owns the returned Mat.
   *
   * @throws ImageDecodeException of kind {@link IscException.Kind#CORRUPT_DATA} for empty,
   *     truncated, corrupt or unrecognised bytes, {@link IscException.Kind#UNSUPPORTED} for a
   *     known format (or variant) that is not read, {@link IscException.Kind#OUT_OF_RESOURCES}
   *     for an image over {@link #MAX_PIXELS}, {@link #MAX_JPEG_PIXELS} or
   *     {@link #MAX_DECODED_BYTES}
   */
  public static Mat decode(byte[] data, String source, int maxSide) {
    Checked checked = checked(data, source, maxSide);
    ImageFormat format = checked.format();
    int reduction = checked.reduction();
    // JPEG: OpenCV applies the EXIF orientation itself.
    int orientation = format == ImageFormat.JPEG ? 1 : format.orientation(data);
    Mat decoded;
    try (BytePointer bytes = new BytePointer(data);
        Mat buffer = new Mat(1, data.length, CV_8U, bytes)) {
      decoded = opencv_imgcodecs.imdecode(buffer, flags(format, reduction));
    } catch (RuntimeException e) {
      String message = String.valueOf(e.getMessage());
      // Out of memory, or over OpenCV's own limit (OPENCV_IO_MAX_IMAGE_PIXELS, which the isc
      // launcher sets to MAX_PIXELS; checkHeader refuses such images first).
      boolean memory = message.contains("bad_alloc") || message.contains("Insufficient memory")
          || message.contains("Failed to allocate") || message.contains("CV_IO_MAX_IMAGE");
      throw new ImageDecodeException(memory ? IscException.Kind.OUT_OF_RESOURCES : IscException.Kind.CORRUPT_DATA,
          source, "OpenCV cannot decode this " + format + ": " + message, e);
    }
    if (decoded == null || decoded.empty()) {
      if (decoded != null) {
        decoded.close();
      }
      throw new ImageDecodeException(source, "corrupt or unsupported " + format + " data");
    }
    checkDecoded(decoded, source);
    Mat bgr = toBgr8(decoded, source);
    Mat oriented = orient(bgr, orientation);
    return cap(oriented, maxSide);
  }

  /**
   * Checks an image's bytes as {@link #decode} does before it decodes anything (a supported format,
   * not truncated, a header within the limits), without decoding: cheap enough to refuse a bomb
   * before it waits for its turn.
   *
   * @throws ImageDecodeException as {@link #decode} would for these reasons
   */
  public static void check(byte[] data, String source, int maxSide) {
    checked(data, source, maxSide);
  }

  /** What {@link #check} found: the format, and the reduction JPEG is decoded at. */
  private record Checked(ImageFormat format, int reduction) {}

  private static Checked checked(byte[] data, String source, int maxSide) {
    if (maxSide < 1) {
      throw new IllegalArgumentException("maxSide must be >= 1, got " + maxSide);
    }
    if (data.length == 0) {
      throw new ImageDecodeException(source, "empty file");
    }
    ImageFormat format = ImageFormat.sniff(data).orElseThrow(() -> notSupported(data, source));
    format.truncation(data).ifPresent(reason -> {
      throw new ImageDecodeException(source, reason);
    });
    ImageFormat.Header header = format.header(data, source);
    int reduction = format == ImageFormat.JPEG ? reduction(header, maxSide) : 1;
    checkHeader(format, header, reduction, source);
    return new Checked(format, reduction);
  }

  /** Bytes in no supported format: a known format we do not read is unsupported, others corrupt. */
  private static ImageDecodeException notSupported(byte[] data, String source) {
    String start = HexFormat.ofDelimiter(" ").formatHex(data, 0, Math.min(8, data.length));
    return ImageFormat.unsupported(data)
        .map(name -> new ImageDecodeException(IscException.Kind.UNSUPPORTED, source, name
            + " images are not supported (JPEG, PNG, WebP, BMP, TIFF and GIF are); it starts with " + start, null))
        .orElseGet(() -> new ImageDecodeException(source,
            "not an image in a supported format (JPEG, PNG, WebP, BMP, TIFF, GIF); it starts with " + start));
  }

  /**
   * Refuses, before decoding, an image whose header declares more than {@link #MAX_PIXELS} pixels
   * (once decoded at 1/reduction) or {@link #MAX_DECODED_BYTES} bytes of decoding.
   */
  private static void checkHeader(ImageFormat format, ImageFormat.Header header, int reduction, String source) {
    String size = header.width() + "x" + header.height() + " " + format;
    if (format == ImageFormat.JPEG && header.pixels() > MAX_JPEG_PIXELS) {
      throw tooLarge(source, size + " declares " + megapixels(header.pixels()) + " megapixels, over the limit of "
          + megapixels(MAX_JPEG_PIXELS) + " megapixels for JPEG");
    }
    long decodedPixels = ImageFormat.mul(ceilDiv(header.width(), reduction), ceilDiv(header.height(), reduction));
    if (decodedPixels > MAX_PIXELS) {
      throw tooLarge(source, size + " declares " + megapixels(decodedPixels) + " megapixels, over the limit of "
          + megapixels(MAX_PIXELS) + " megapixels");
    }
    long bytes = ImageFormat.add(ImageFormat.mul(decodedPixels, header.bytesPerPixel()), header.workingBytes());
    if (bytes > MAX_DECODED_BYTES) {
      throw tooLarge(source, size + " would take " + mebibytes(bytes) + " MiB to decode, over the limit of "
          + mebibytes(MAX_DECODED_BYTES) + " MiB");
    }
  }

  /**
   * Refuses, consuming it, a decoded image over {@link #MAX_PIXELS} or {@link #MAX_DECODED_BYTES}:
   * one whose header said less than it held, caught before any copy is made of it.
   */
  static void checkDecoded(Mat m, String source) {
    long pixels = (long) m.rows() * m.cols();
    long bytes = ImageFormat.mul(pixels, m.elemSize());
    if (pixels > MAX_PIXELS || bytes > MAX_DECODED_BYTES) {
      String size = m.cols() + "x" + m.rows();
      m.close();
      throw tooLarge(source, "decoded to " + size + " (" + megapixels(pixels) + " megapixels, " + mebibytes(bytes)
          + " MiB), more than its header declared and over the limit of " + megapixels(MAX_PIXELS) + " megapixels and "
          + mebibytes(MAX_DECODED_BYTES) + " MiB");
    }
  }

  private static ImageDecodeException tooLarge(String source, String reason) {
    return new ImageDecodeException(IscException.Kind.OUT_OF_RESOURCES, source, "image too large: " + reason, null);
  }

  private static String megapixels(long pixels) {
    return pixels == Long.MAX_VALUE ? "more than 9e12" : String.format(Locale.ROOT, "%.1f", pixels / 1e6);
  }

  private static long mebibytes(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  /** Encodes an 8-bit image; quality is JPEG/WebP quality (1-100), ignored for lossless formats. */
  public static byte[] encode(Mat image, ImageFormat format, int quality) {
    if (quality < 1 || quality > 100) {
      throw new IllegalArgumentException("quality must be in [1, 100], got " + quality);
    }
    int[] params = switch (format) {
      case JPEG -> new int[] {opencv_imgcodecs.IMWRITE_JPEG_QUALITY, quality};
      case WEBP -> new int[] {opencv_imgcodecs.IMWRITE_WEBP_QUALITY, quality};
      case PNG -> new int[] {opencv_imgcodecs.IMWRITE_PNG_COMPRESSION, 3};
      default -> new int[0];
    };
    try (BytePointer out = new BytePointer();
        IntPointer p = new IntPointer(params)) {
      if (!opencv_imgcodecs.imencode("." + format.extension(), image, out, p)) {
        throw new IllegalArgumentException("OpenCV could not encode a " + image.cols() + "x" + image.rows() + " image as "
            + format);
      }
      byte[] bytes = new byte[(int) out.limit()];
      out.get(bytes);
      return bytes;
    }
  }

  /** Writes an image atomically, in the format of the file's extension. */
  public static void write(Path file, Mat image, int quality) {
    ImageFormat format = ImageFormat.ofExtension(file.getFileName().toString())
        .orElseThrow(() -> new IllegalArgumentException("unknown image extension: " + file));
    byte[] bytes = encode(image, format, quality);
    AtomicFile.write(file, temporary -> Files.write(temporary, bytes));
  }

  /** JPEG: the scale (1, 2, 4 or 8) at which libjpeg decodes it directly, from its longer side. */
  private static int reduction(ImageFormat.Header header, int maxSide) {
    long side = Math.max(header.width(), header.height());
    if (side > 8L * maxSide) {
      return 8;
    } else if (side > 4L * maxSide) {
      return 4;
    } else if (side > 2L * maxSide) {
      return 2;
    }
    return 1;
  }

  private static int flags(ImageFormat format, int reduction) {
    if (format != ImageFormat.JPEG) {
      return opencv_imgcodecs.IMREAD_UNCHANGED;  // keeps alpha and depth, handled below
    }
    // JPEG: OpenCV applies EXIF orientation itself, and can decode huge images at 1/2, 1/4, 1/8.
    return switch (reduction) {
      case 8 -> opencv_imgcodecs.IMREAD_REDUCED_COLOR_8;
      case 4 -> opencv_imgcodecs.IMREAD_REDUCED_COLOR_4;
      case 2 -> opencv_imgcodecs.IMREAD_REDUCED_COLOR_2;
      default -> opencv_imgcodecs.IMREAD_COLOR;
    };
  }

  /** 8-bit, 3-channel BGR, consuming the input. */
  static Mat toBgr8(Mat m, String source) {
    int channels = m.channels();
    Mat eight = m;
    if (m.depth() != CV_8U) {
      eight = new Mat();
      double scale = switch (m.depth()) {
        case opencv_core.CV_16U -> 1.0 / 257.0;
        case opencv_core.CV_16S -> 1.0 / 128.0;
        case CV_32F, CV_64F -> 255.0;
        default -> 1.0;
      };
      m.convertTo(eight, CV_8U, scale, 0.0);
      m.close();
    }
    switch (eight.channels()) {
      case 3:
        return eight;
      case 1: {
        Mat bgr = new Mat();
        opencv_imgproc.cvtColor(eight, bgr, opencv_imgproc.COLOR_GRAY2BGR);
        eight.close();
        return bgr;
      }
      case 2:
      case 4: {
        Mat bgr = overWhite(eight);
        eight.close();
        return bgr;
      }
      default:
        eight.close();
        throw new ImageDecodeException(IscException.Kind.UNSUPPORTED, source, "images with " + channels
            + " channels are not supported", null);
    }
  }

  /**
   * Composites gray+alpha or BGRA over a white background: (v * a + 255 * (255 - a) + 127) / 255 in
   * integers, computed as round(v * a / 255) + (255 - a), which is the same (v * a / 255 never ends
   * in exactly one half), by OpenCV's array operations: a per-pixel Java loop took seconds on a
   * large image.
   */
  static Mat overWhite(Mat m) {
    int channels = m.channels();
    try (Mat colour = new Mat();
        Mat alpha = new Mat();
        Mat alpha3 = new Mat();
        Mat white = new Mat();
        Mat scaled = new Mat()) {
      if (channels == 2) {
        try (Mat gray = new Mat()) {
          opencv_core.extractChannel(m, gray, 0);
          opencv_imgproc.cvtColor(gray, colour, opencv_imgproc.COLOR_GRAY2BGR);
        }
      } else {
        opencv_imgproc.cvtColor(m, colour, opencv_imgproc.COLOR_BGRA2BGR);
      }
      opencv_core.extractChannel(m, alpha, channels - 1);
      opencv_imgproc.cvtColor(alpha, alpha3, opencv_imgproc.COLOR_GRAY2BGR);
      opencv_core.bitwise_not(alpha3, white);  // 255 - alpha: how much of the white shows through
      opencv_core.multiply(colour, alpha3, scaled, 1 / 255.0, -1);
      Mat out = new Mat();
      opencv_core.add(scaled, white, out);
      return out;
    }
  }

  /** Applies an EXIF orientation (1 to 8), consuming the input. */
  static Mat orient(Mat m, int orientation) {
    if (orientation <= 1 || orientation > 8) {
      return m;
    }
    Mat out = new Mat();
    switch (orientation) {
      case 2 -> opencv_core.flip(m, out, 1);
      case 3 -> opencv_core.rotate(m, out, opencv_core.ROTATE_180);
      case 4 -> opencv_core.flip(m, out, 0);
      case 5 -> opencv_core.transpose(m, out);
      case 6 -> opencv_core.rotate(m, out, opencv_core.ROTATE_90_CLOCKWISE);
      case 7 -> {
        try (Mat t = new Mat()) {
          opencv_core.transpose(m, t);
          opencv_core.flip(t, out, -1);
        }
      }
      default -> opencv_core.rotate(m, out, opencv_core.ROTATE_90_COUNTERCLOCKWISE);
    }
    m.close();
    return out;
  }

  /** Shrinks so the longer side is at most maxSide, consuming the input. */
  static Mat cap(Mat m, int maxSide) {
    int side = Math.max(m.cols(), m.rows());
    if (side <= maxSide) {
      return m;
    }
    double scale = (double) maxSide / side;
    Mat out = new Mat();
    try (Size size = new Size(Math.max(1, (int) Math.round(m.cols() * scale)), Math.max(1, (int) Math.round(m.rows() * scale)))) {
      opencv_imgproc.resize(m, out, size, 0, 0, opencv_imgproc.INTER_AREA);
    }
    m.close();
    return out;
  }
}
