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
 */
public final class Images {
  /** Longest side of a decoded image unless told otherwise; larger ones are scaled down. */
  public static final int DEFAULT_MAX_SIDE = 4096;

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
   */
  public static Mat decode(byte[] data, String source, int maxSide) {
    if (maxSide < 1) {
      throw new IllegalArgumentException("maxSide must be >= 1, got " + maxSide);
    }
    if (data.length == 0) {
      throw new ImageDecodeException(source, "empty file");
    }
    ImageFormat format = ImageFormat.sniff(data).orElseThrow(() -> new ImageDecodeException(source,
        "not an image in a supported format (JPEG, PNG, WebP, BMP, TIFF, GIF); it starts with "
            + HexFormat.ofDelimiter(" ").formatHex(data, 0, Math.min(8, data.length))));
    format.truncation(data).ifPresent(reason -> {
      throw new ImageDecodeException(source, reason);
    });
    Mat decoded;
    try (BytePointer bytes = new BytePointer(data);
        Mat buffer = new Mat(1, data.length, CV_8U, bytes)) {
      decoded = opencv_imgcodecs.imdecode(buffer, flags(format, data, maxSide));
    } catch (RuntimeException e) {
      throw new ImageDecodeException(source, "OpenCV cannot decode this " + format + ": " + e.getMessage(), e);
    }
    if (decoded == null || decoded.empty()) {
      throw new ImageDecodeException(source, "corrupt or unsupported " + format + " data");
    }
    Mat bgr = toBgr8(decoded, source);
    Mat oriented = format == ImageFormat.JPEG ? bgr : orient(bgr, format.orientation(data));
    return cap(oriented, maxSide);
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

  private static int flags(ImageFormat format, byte[] data, int maxSide) {
    if (format != ImageFormat.JPEG) {
      return opencv_imgcodecs.IMREAD_UNCHANGED;  // keeps alpha and depth, handled below
    }
    // JPEG: OpenCV applies EXIF orientation itself, and can decode huge images at 1/2, 1/4, 1/8.
    long side = format.dimensions(data).map(d -> Math.max(d[0], d[1])).orElse(0);
    if (side > 8L * maxSide) {
      return opencv_imgcodecs.IMREAD_REDUCED_COLOR_8;
    } else if (side > 4L * maxSide) {
      return opencv_imgcodecs.IMREAD_REDUCED_COLOR_4;
    } else if (side > 2L * maxSide) {
      return opencv_imgcodecs.IMREAD_REDUCED_COLOR_2;
    }
    return opencv_imgcodecs.IMREAD_COLOR;
  }

  /** 8-bit, 3-channel BGR, consuming the input. */
  static Mat toBgr8(Mat m, String source) {
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
        throw new ImageDecodeException(IscException.Kind.UNSUPPORTED, source, "images with " + m.channels()
            + " channels are not supported", null);
    }
  }

  /** Composites gray+alpha or BGRA over a white background. */
  private static Mat overWhite(Mat m) {
    int rows = m.rows();
    int cols = m.cols();
    int channels = m.channels();
    Mat out = new Mat(rows, cols, CV_8UC3);
    try (UByteIndexer in = m.createIndexer();
        UByteIndexer to = out.createIndexer()) {
      for (int y = 0; y < rows; y++) {
        for (int x = 0; x < cols; x++) {
          int alpha = in.get(y, x, channels - 1);
          for (int c = 0; c < 3; c++) {
            int v = in.get(y, x, channels == 2 ? 0 : c);
            to.put(y, x, c, (v * alpha + 255 * (255 - alpha) + 127) / 255);
          }
        }
      }
    }
    return out;
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
