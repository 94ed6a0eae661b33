package org.iscengine.image;

import java.util.Locale;
import java.util.Optional;
import org.iscengine.errors.IscException.Kind;

/**
 * The formats the decoder accepts, recognised by their first bytes, with the checks OpenCV does
 * not make: that the file is complete, what its header declares (so that a decompression bomb is
 * refused before anything is allocated), and the EXIF orientation of the formats OpenCV leaves
 * unrotated.
 *
 * <p>Everything here reads bytes that may have been built to hurt. Every length and offset is
 * read unsigned into a {@code long}, every position is checked against the end of the data (or of
 * the block it belongs to) before it is read, and every walk over chunks, segments or blocks moves
 * forward by at least one header each step and stops at the end of the data. Only the first TIFF
 * directory is read, so no chain of directories (nor a cycle in one) is ever followed.
 */
public enum ImageFormat {
  JPEG("jpg"),
  PNG("png"),
  WEBP("webp"),
  BMP("bmp"),
  TIFF("tif"),
  GIF("gif");

  private final String extension;

  ImageFormat(String extension) {
    this.extension = extension;
  }

  /** The usual file extension, without the dot. */
  public String extension() {
    return extension;
  }

  /** The format of these bytes, or empty when they start like no supported image. */
  public static Optional<ImageFormat> sniff(byte[] b) {
    if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) {
      return Optional.of(JPEG);
    }
    if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
      return Optional.of(PNG);
    }
    if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E'
        && b[10] == 'B' && b[11] == 'P') {
      return Optional.of(WEBP);
    }
    if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
      return Optional.of(BMP);
    }
    if (b.length >= 4 && ((b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0)
        || (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42))) {
      return Optional.of(TIFF);
    }
    if (b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8') {
      return Optional.of(GIF);
    }
    return Optional.empty();
  }

  /**
   * The name of a well-known image format that is not supported (HEIF, AVIF, JPEG 2000, JPEG XL,
   * BigTIFF, Photoshop, ...), when the bytes start like one; empty otherwise.
   */
  static Optional<String> unsupported(byte[] b) {
    if (b.length >= 12 && b[4] == 'f' && b[5] == 't' && b[6] == 'y' && b[7] == 'p') {
      String brand = new String(b, 8, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
      return Optional.of(switch (brand) {
        case "avif", "avis" -> "AVIF";
        case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1" -> "HEIF (HEIC)";
        case "jxl " -> "JPEG XL";
        case "jp2 ", "jpx ", "jpm " -> "JPEG 2000";
        default -> "ISO media ('" + brand.strip() + "')";
      });
    }
    if (startsWith(b, 0, 0, 0, 0x0c, 'j', 'P', ' ', ' ') || startsWith(b, 0xff, 0x4f, 0xff, 0x51)) {
      return Optional.of("JPEG 2000");
    }
    if (startsWith(b, 0, 0, 0, 0x0c, 'J', 'X', 'L', ' ') || startsWith(b, 0xff, 0x0a)) {
      return Optional.of("JPEG XL");
    }
    if (startsWith(b, 'I', 'I', 43, 0) || startsWith(b, 'M', 'M', 0, 43)) {
      return Optional.of("BigTIFF");
    }
    if (startsWith(b, '8', 'B', 'P', 'S')) {
      return Optional.of("Photoshop (PSD)");
    }
    if (startsWith(b, 0, 0, 1, 0) || startsWith(b, 0, 0, 2, 0)) {
      return Optional.of("Windows icon (ICO/CUR)");
    }
    if (startsWith(b, '%', 'P', 'D', 'F')) {
      return Optional.of("PDF");
    }
    if (startsWith(b, '#', '?', 'R', 'A') || startsWith(b, 'v', '/', '1', 1)) {
      return Optional.of("HDR/OpenEXR");
    }
    if (startsWith(b, 'q', 'o', 'i', 'f')) {
      return Optional.of("QOI");
    }
    return Optional.empty();
  }

  private static boolean startsWith(byte[] b, int... prefix) {
    if (b.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if ((b[i] & 0xff) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /** The format for a file extension (jpg, jpeg, png, webp, bmp, tif, tiff, gif). */
  public static Optional<ImageFormat> ofExtension(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    int dot = n.lastIndexOf('.');
    String ext = dot < 0 ? n : n.substring(dot + 1);
    return switch (ext) {
      case "jpg", "jpeg" -> Optional.of(JPEG);
      case "png" -> Optional.of(PNG);
      case "webp" -> Optional.of(WEBP);
      case "bmp" -> Optional.of(BMP);
      case "tif", "tiff" -> Optional.of(TIFF);
      case "gif" -> Optional.of(GIF);
      default -> Optional.empty();
    };
  }

  /** Why the data is incomplete, or empty when nothing is missing that can be told cheaply. */
  Optional<String> truncation(byte[] b) {
    switch (this) {
      case JPEG -> {
        // The end-of-image marker, possibly followed by padding.
        for (int i = b.length - 2; i >= Math.max(2, b.length - 4096); i--) {
          if ((b[i] & 0xff) == 0xff && (b[i + 1] & 0xff) == 0xd9) {
            return Optional.empty();
          }
        }
        return Optional.of("truncated JPEG (no end-of-image marker)");
      }
      case PNG -> {
        for (int i = b.length - 8; i >= Math.max(8, b.length - 4096); i--) {
          if (b[i] == 'I' && b[i + 1] == 'E' && b[i + 2] == 'N' && b[i + 3] == 'D') {
            return Optional.empty();
          }
        }
        return Optional.of("truncated PNG (no IEND chunk)");
      }
      case WEBP -> {
        long declared = u32le(b, 4);
        return declared + 8 > b.length ? Optional.of("truncated WebP (" + b.length + " of " + (declared + 8) + " bytes)")
            : Optional.empty();
      }
      default -> {
        return Optional.empty();
      }
    }
  }

  /**
   * What a header declares, read before anything is decoded: the extent of the largest picture the
   * decoder will allocate (the canvas, or a frame reaching past it), the bytes one of its pixels
   * takes in the Mat OpenCV returns, and the decoder's own working memory besides that Mat (a
   * TIFF strip or tile buffer, a GIF canvas, the coefficients of a multi-scan JPEG). Estimates err
   * on the large side.
   */
  record Header(long width, long height, int bytesPerPixel, long workingBytes) {
    long pixels() {
      return mul(width, height);
    }
  }

  /**
   * The header of this format's data, or an {@link ImageDecodeException} ({@link Kind#CORRUPT_DATA}
   * or {@link Kind#UNSUPPORTED}) naming {@code source} when it is cut short, inconsistent or
   * declares nothing to decode.
   */
  Header header(byte[] b, String source) {
    try {
      return switch (this) {
        case JPEG -> jpegHeader(b);
        case PNG -> pngHeader(b);
        case WEBP -> webpHeader(b);
        case BMP -> bmpHeader(b);
        case TIFF -> tiffHeader(b);
        case GIF -> gifHeader(b);
      };
    } catch (Bad e) {
      throw new ImageDecodeException(e.kind, source, e.getMessage(), null);
    } catch (IndexOutOfBoundsException e) {
      // Every read above is bounds-checked; should one not be, the input is still only corrupt.
      throw new ImageDecodeException(source, "corrupt " + this + " header", e);
    }
  }

  /**
   * The EXIF orientation (1 to 8) of the formats OpenCV does not rotate itself: TIFF (its own
   * first directory), PNG (an eXIf chunk) and WebP (an EXIF chunk). 1 when absent or unreadable.
   */
  int orientation(byte[] b) {
    return switch (this) {
      case TIFF -> Tiff.orientation(b, 0, b.length);
      case PNG -> pngExif(b);
      case WEBP -> webpExif(b);
      default -> 1;
    };
  }

  // ---- JPEG: markers and segments ----

  private static Header jpegHeader(byte[] b) {
    long n = b.length;
    long i = 2;
    Header frame = null;
    int components = 0;
    boolean progressive = false;
    long coefficients = 0;
    while (i + 2 <= n) {
      if ((b[(int) i] & 0xff) != 0xff) {
        i++;  // stray byte between segments: libjpeg skips these with a warning
        continue;
      }
      int marker = b[(int) i + 1] & 0xff;
      if (marker == 0xff) {
        i++;  // fill byte
        continue;
      }
      if (marker == 0xd8 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        i += 2;  // markers without a segment
        continue;
      }
      if (marker == 0xd9) {
        break;
      }
      if (i + 4 > n) {
        break;
      }
      long length = u16be(b, i + 2);
      if (length < 2) {
        throw new Bad(Kind.CORRUPT_DATA,
            String.format("corrupt JPEG (segment %02X at byte %d has length %d)", marker, i, length));
      }
      long end = i + 2 + length;
      if (isSof(marker)) {
        if (frame != null) {
          throw new Bad(Kind.CORRUPT_DATA, "corrupt JPEG (two frame headers)");
        }
        if (length < 8 || end > n) {
          throw new Bad(Kind.CORRUPT_DATA, "truncated JPEG frame header (SOF)");
        }
        int precision = b[(int) i + 4] & 0xff;
        long height = u16be(b, i + 5);
        long width = u16be(b, i + 7);
        components = b[(int) i + 9] & 0xff;
        if (width == 0 || components == 0 || length < 8 + 3L * components) {
          throw new Bad(Kind.CORRUPT_DATA, "corrupt JPEG frame header (" + width + "x" + height + ", " + components
              + " components)");
        }
        if (height == 0) {
          throw new Bad(Kind.UNSUPPORTED, "JPEG whose height is given after the image data (DNL) is not supported");
        }
        int hMax = 1;
        int vMax = 1;
        for (int c = 0; c < components; c++) {
          int sampling = b[(int) i + 11 + 3 * c] & 0xff;
          hMax = Math.max(hMax, sampling >> 4);
          vMax = Math.max(vMax, sampling & 0xf);
        }
        for (int c = 0; c < components; c++) {
          int sampling = b[(int) i + 11 + 3 * c] & 0xff;
          long blocksWide = ceilDiv(ceilDiv(width * Math.max(1, sampling >> 4), hMax), 8);
          long blocksHigh = ceilDiv(ceilDiv(height * Math.max(1, sampling & 0xf), vMax), 8);
          coefficients = add(coefficients, mul(mul(blocksWide, blocksHigh), 64 * 2));
        }
        progressive = marker == 0xc2 || marker == 0xc6 || marker == 0xca || marker == 0xce;
        // OpenCV decodes JPEG as 8-bit (or 16-bit for 12/16-bit precision) BGR.
        frame = new Header(width, height, precision > 8 ? 6 : 3, 0);
      } else if (marker == 0xda) {
        if (frame == null) {
          throw new Bad(Kind.CORRUPT_DATA, "corrupt JPEG (image data before the frame header)");
        }
        int inScan = i + 4 < n ? b[(int) i + 4] & 0xff : components;
        // libjpeg keeps the whole image's coefficients (2 bytes each) when the image comes in
        // several scans: progressive, or a first scan that does not hold every component.
        boolean buffered = progressive || inScan < components;
        return new Header(frame.width(), frame.height(), frame.bytesPerPixel(), buffered ? coefficients : 0);
      }
      i = end;
    }
    if (frame == null) {
      throw new Bad(Kind.CORRUPT_DATA, "truncated or corrupt JPEG (no frame header, SOF marker)");
    }
    return new Header(frame.width(), frame.height(), frame.bytesPerPixel(), progressive ? coefficients : 0);
  }

  /** Start of frame: C0-CF except DHT (C4), JPG (C8) and DAC (CC). */
  private static boolean isSof(int marker) {
    return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
  }

  // ---- PNG: length-prefixed chunks ----

  private static Header pngHeader(byte[] b) {
    if (b.length < 8 + 8 + 13) {
      throw new Bad(Kind.CORRUPT_DATA, "truncated PNG header (" + b.length + " bytes)");
    }
    if (u32be(b, 8) != 13 || !type(b, 12, "IHDR")) {
      throw new Bad(Kind.CORRUPT_DATA, "corrupt PNG (does not start with a 13-byte IHDR chunk)");
    }
    long width = u32be(b, 16);
    long height = u32be(b, 20);
    int depth = b[24] & 0xff;
    int colour = b[25] & 0xff;
    if (width == 0 || height == 0 || width > Integer.MAX_VALUE || height > Integer.MAX_VALUE) {
      throw new Bad(Kind.CORRUPT_DATA, "corrupt PNG header (" + width + "x" + height + ")");
    }
    int channels = switch (colour) {
      case 0 -> 1;
      case 2 -> 3;
      case 3, 4, 6 -> 4;  // palette (maybe with transparency), grey + alpha, RGBA: all become BGRA
      default -> throw new Bad(Kind.CORRUPT_DATA, "corrupt PNG header (colour type " + colour + ")");
    };
    if (depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16) {
      throw new Bad(Kind.CORRUPT_DATA, "corrupt PNG header (bit depth " + depth + ")");
    }
    // Every chunk must lie within the data (OpenCV's own chunk reader spends seconds on a length
    // of 4 GB). tRNS may add an alpha channel; APNG frames (fcTL) must lie within the canvas, but
    // their extent is taken into account in case they do not.
    long extentW = width;
    long extentH = height;
    long n = b.length;
    long i = 8;
    while (i + 8 <= n) {
      long length = u32be(b, i);
      long data = i + 8;
      if (length > Integer.MAX_VALUE || data + length + 4 > n) {
        throw new Bad(Kind.CORRUPT_DATA, "truncated or corrupt PNG (chunk '" + fourCc(b, i + 4) + "' at byte " + i
            + " declares " + length + " bytes; " + (n - data) + " are left)");
      }
      if (type(b, i + 4, "tRNS")) {
        channels = 4;
      } else if (type(b, i + 4, "fcTL") && length >= 26 && data + 26 <= n) {
        extentW = Math.max(extentW, add(u32be(b, data + 12), u32be(b, data + 4)));
        extentH = Math.max(extentH, add(u32be(b, data + 16), u32be(b, data + 8)));
      } else if (type(b, i + 4, "IEND")) {
        break;
      }
      i = data + length + 4;  // length is unsigned, so this is at least i + 12
    }
    return new Header(extentW, extentH, channels * (depth == 16 ? 2 : 1), 0);
  }

  private static int pngExif(byte[] b) {
    long n = b.length;
    long i = 8;
    while (i + 8 <= n) {
      long length = u32be(b, i);
      long data = i + 8;
      if (type(b, i + 4, "eXIf")) {
        return Tiff.orientation(b, data, Math.min(n, data + length));
      }
      if (type(b, i + 4, "IDAT")) {
        return 1;  // eXIf comes before the image data
      }
      i = data + length + 4;  // at least i + 12
    }
    return 1;
  }

  // ---- WebP: RIFF chunks ----

  private static Header webpHeader(byte[] b) {
    long n = Math.min(b.length, add(8, u32le(b, 4)));
    long width = 0;
    long height = 0;
    boolean alpha = false;
    boolean animated = false;
    boolean image = false;
    long i = 12;
    while (i + 8 <= n) {
      long length = u32le(b, i + 4);
      long d = i + 8;
      boolean whole = d + length <= n;
      if (type(b, i, "VP8X") && length >= 10 && whole) {
        int flags = b[(int) d] & 0xff;
        alpha |= (flags & 0x10) != 0;
        animated |= (flags & 0x02) != 0;
        width = Math.max(width, u24le(b, d + 4) + 1);
        height = Math.max(height, u24le(b, d + 7) + 1);
      } else if (type(b, i, "VP8 ") && length >= 10 && whole) {
        if ((b[(int) d + 3] & 0xff) != 0x9d || (b[(int) d + 4] & 0xff) != 0x01 || (b[(int) d + 5] & 0xff) != 0x2a) {
          throw new Bad(Kind.CORRUPT_DATA, "corrupt WebP (no VP8 start code)");
        }
        width = Math.max(width, u16le(b, d + 6) & 0x3fff);
        height = Math.max(height, u16le(b, d + 8) & 0x3fff);
        image = true;
      } else if (type(b, i, "VP8L") && length >= 5 && whole) {
        if ((b[(int) d] & 0xff) != 0x2f) {
          throw new Bad(Kind.CORRUPT_DATA, "corrupt WebP (no VP8L signature)");
        }
        long bits = u32le(b, d + 1);
        width = Math.max(width, (bits & 0x3fff) + 1);
        height = Math.max(height, (bits >> 14 & 0x3fff) + 1);
        alpha |= (bits >> 28 & 1) != 0;
        image = true;
      } else if (type(b, i, "ANMF") && length >= 16 && whole) {
        // A frame of an animation: offset (in units of 2 pixels) and size, within the canvas.
        width = Math.max(width, 2 * u24le(b, d) + u24le(b, d + 6) + 1);
        height = Math.max(height, 2 * u24le(b, d + 3) + u24le(b, d + 9) + 1);
        image = true;
      } else if (type(b, i, "ALPH")) {
        alpha = true;
      }
      i = d + length + (length & 1);  // chunks are padded to even sizes; at least i + 8
    }
    if (!image && width == 0) {
      throw new Bad(Kind.CORRUPT_DATA, "truncated or corrupt WebP (no VP8, VP8L or VP8X chunk)");
    }
    if (width == 0 || height == 0) {
      throw new Bad(Kind.CORRUPT_DATA, "corrupt WebP header (" + width + "x" + height + ")");
    }
    int bytesPerPixel = alpha || animated ? 4 : 3;
    // An animation is composed on two RGBA canvases inside libwebp before OpenCV copies one out.
    return new Header(width, height, bytesPerPixel, animated ? mul(mul(width, height), 8) : 0);
  }

  private static int webpExif(byte[] b) {
    long n = b.length;
    long i = 12;
    while (i + 8 <= n) {
      long length = u32le(b, i + 4);
      long d = i + 8;
      if (type(b, i, "EXIF")) {
        long end = Math.min(n, d + length);
        long start = d;
        // Some writers keep the JPEG-style "Exif\0\0" prefix.
        if (start + 6 <= end && type(b, start, "Exif")) {
          start += 6;
        }
        return Tiff.orientation(b, start, end);
      }
      i = d + length + (length & 1);  // at least i + 8
    }
    return 1;
  }

  // ---- BMP ----

  private static Header bmpHeader(byte[] b) {
    if (b.length < 14 + 12) {
      throw new Bad(Kind.CORRUPT_DATA, "truncated BMP header (" + b.length + " bytes)");
    }
    long dib = u32le(b, 14);
    long width;
    long height;
    int bits;
    if (dib == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit sizes
      width = u16le(b, 18);
      height = u16le(b, 20);
      bits = (int) u16le(b, 24);
    } else if (dib >= 16 && dib <= 1024) {
      if (b.length < 14 + 16) {
        throw new Bad(Kind.CORRUPT_DATA, "truncated BMP header (" + b.length + " bytes)");
      }
      width = (int) u32le(b, 18);  // signed
      height = Math.abs((long) (int) u32le(b, 22));  // negative: rows top-down
      bits = (int) u16le(b, 28);
    } else {
      throw new Bad(Kind.CORRUPT_DATA, "corrupt BMP header (DIB header of " + dib + " bytes)");
    }
    if (width <= 0 || height == 0) {
      throw new Bad(Kind.CORRUPT_DATA, "corrupt BMP header (" + width + "x" + height + ")");
    }
    return new Header(width, height, bits == 32 ? 4 : 3, 0);
  }

  // ---- TIFF: the first image file directory ----

  private static Header tiffHeader(byte[] b) {
    Tiff t = Tiff.open(b, 0, b.length);
    if (t == null) {
      throw new Bad(Kind.CORRUPT_DATA, "truncated TIFF header (" + b.length + " bytes)");
    }
    long dir = t.firstDirectory();
    if (dir < 8 || dir + 2 > b.length) {
      throw new Bad(Kind.CORRUPT_DATA, "corrupt TIFF (first directory at " + dir + ", outside the " + b.length
          + " bytes of the file)");
    }
    long entries = t.u16(dir);
    if (dir + 2 + 12 * entries > b.length) {
      throw new Bad(Kind.CORRUPT_DATA, "truncated TIFF (directory of " + entries + " entries runs past the end)");
    }
    long width = t.value(dir, 256, 0);
    long height = t.value(dir, 257, 0);
    if (width == 0 || height == 0) {
      throw new Bad(Kind.CORRUPT_DATA, "corrupt TIFF directory (" + width + "x" + height + ")");
    }
    long samples = Math.max(1, t.value(dir, 277, 1));
    long bits = t.maxValue(dir, 258, 1);
    long photometric = t.value(dir, 262, 1);
    int sampleBytes = bits <= 8 ? 1 : bits <= 16 ? 2 : bits <= 32 ? 4 : 8;
    long channels = photometric == 3 ? 4 : samples == 1 || samples == 3 ? samples : Math.max(4, samples);
    if (channels > 64 || bits > 64) {
      throw new Bad(Kind.UNSUPPORTED, "TIFF of " + samples + " samples of " + bits + " bits is not supported");
    }
    // OpenCV reads a tile, or a strip of rows, at a time into a buffer of at least RGBA bytes.
    long tileW = t.value(dir, 322, 0);
    long tileH = t.value(dir, 323, 0);
    long tile = tileW > 0 && tileH > 0 ? mul(tileW, tileH) : mul(width, Math.min(height, t.value(dir, 278, height)));
    long working = mul(tile, Math.max(4, channels * sampleBytes));
    return new Header(width, height, (int) (channels * sampleBytes), working);
  }

  /** A bounded view of a TIFF structure in b[start, end): offsets are relative to start. */
  private static final class Tiff {
    private final byte[] b;
    private final long start;
    private final long end;
    private final boolean little;

    private Tiff(byte[] b, long start, long end, boolean little) {
      this.b = b;
      this.start = start;
      this.end = end;
      this.little = little;
    }

    /** The structure, or null when b[start, end) does not hold a TIFF header. */
    static Tiff open(byte[] b, long start, long end) {
      if (start < 0 || end > b.length || end - start < 8) {
        return null;
      }
      int s = (int) start;
      if (b[s] == 'I' && b[s + 1] == 'I' && b[s + 2] == 42 && b[s + 3] == 0) {
        return new Tiff(b, start, end, true);
      }
      if (b[s] == 'M' && b[s + 1] == 'M' && b[s + 2] == 0 && b[s + 3] == 42) {
        return new Tiff(b, start, end, false);
      }
      return null;
    }

    /** Tag 0x0112 of the first directory; 1 when absent or anything is out of place. */
    static int orientation(byte[] b, long start, long end) {
      Tiff t = open(b, start, end);
      if (t == null) {
        return 1;
      }
      long dir = t.firstDirectory();
      if (dir < 8 || dir + 2 > end - start) {
        return 1;
      }
      long value = t.value(dir, 0x0112, 1);
      return value >= 1 && value <= 8 ? (int) value : 1;
    }

    long firstDirectory() {
      return read(4, 4);
    }

    long u16(long at) {
      return read(at, 2);
    }

    /** Bytes per value of an entry's type: BYTE 1, SHORT 2, LONG 4; 0 for the types not read. */
    int valueSize(long entry) {
      int type = (int) read(entry + 2, 2);
      return type == 3 ? 2 : type == 4 ? 4 : type == 1 ? 1 : 0;
    }

    /** The first value of a tag (SHORT or LONG), or the default when absent or out of bounds. */
    long value(long dir, int tag, long otherwise) {
      long entry = find(dir, tag);
      if (entry < 0) {
        return otherwise;
      }
      int size = valueSize(entry);
      if (size == 0 || read(entry + 4, 4) == 0) {
        return otherwise;
      }
      return read(entry + 8, size);  // one value always fits the 4-byte field
    }

    /** The largest of a tag's values (BitsPerSample has one per sample), up to 16 of them. */
    long maxValue(long dir, int tag, long otherwise) {
      long entry = find(dir, tag);
      if (entry < 0) {
        return otherwise;
      }
      int size = valueSize(entry);
      long count = read(entry + 4, 4);
      if (size == 0 || count == 0) {
        return otherwise;
      }
      long at = count * size <= 4 ? entry + 8 : read(entry + 8, 4);
      long values = Math.min(count, 16);
      if (at + values * size > end - start) {
        throw new Bad(Kind.CORRUPT_DATA, "corrupt TIFF (values of tag " + tag + " outside the file)");
      }
      long max = 0;
      for (long k = 0; k < values; k++) {
        max = Math.max(max, read(at + k * size, size));
      }
      return max;
    }

    /** The position of the tag's entry in the directory, or -1; never reads past the end. */
    private long find(long dir, int tag) {
      long entries = read(dir, 2);
      for (long e = 0; e < entries; e++) {
        long at = dir + 2 + 12 * e;
        if (at + 12 > end - start) {
          return -1;
        }
        if (read(at, 2) == tag) {
          return at;
        }
      }
      return -1;
    }

    /** An unsigned value at an offset relative to start; 0 past the end of the structure. */
    private long read(long at, int bytes) {
      if (at < 0 || at + bytes > end - start) {
        return 0;
      }
      long v = 0;
      for (int k = 0; k < bytes; k++) {
        int shift = little ? 8 * k : 8 * (bytes - 1 - k);
        v |= (b[(int) (start + at + k)] & 0xffL) << shift;
      }
      return v;
    }
  }

  // ---- GIF: blocks and sub-blocks ----

  private static Header gifHeader(byte[] b) {
    long n = b.length;
    if (n < 13) {
      throw new Bad(Kind.CORRUPT_DATA, "truncated GIF header (" + n + " bytes)");
    }
    if (!type(b, 0, "GIF8") || (b[4] != '7' && b[4] != '9') || b[5] != 'a') {
      throw new Bad(Kind.CORRUPT_DATA, "corrupt GIF header (neither GIF87a nor GIF89a)");
    }
    long width = u16le(b, 6);
    long height = u16le(b, 8);
    int flags = b[10] & 0xff;
    long i = 13 + ((flags & 0x80) != 0 ? 3L << ((flags & 7) + 1) : 0);
    long largestFrame = 0;
    boolean frame = false;
    while (i < n) {
      int block = b[(int) i] & 0xff;
      if (block == 0x3b) {  // trailer
        break;
      } else if (block == 0x21) {  // extension: label, then sub-blocks
        i = subBlocks(b, i + 2);
      } else if (block == 0x2c) {  // image descriptor
        if (i + 10 > n) {
          throw new Bad(Kind.CORRUPT_DATA, "truncated GIF (image descriptor cut short)");
        }
        long left = u16le(b, i + 1);
        long top = u16le(b, i + 3);
        long w = u16le(b, i + 5);
        long h = u16le(b, i + 7);
        int local = b[(int) i + 9] & 0xff;
        width = Math.max(width, left + w);
        height = Math.max(height, top + h);
        largestFrame = Math.max(largestFrame, w * h);
        frame = true;
        i += 10 + ((local & 0x80) != 0 ? 3L << ((local & 7) + 1) : 0);
        i = subBlocks(b, i + 1);  // after the LZW code size
      } else {
        throw new Bad(Kind.CORRUPT_DATA, String.format("corrupt GIF (block %02X at byte %d)", block, i));
      }
      if (i > n) {
        throw new Bad(Kind.CORRUPT_DATA, "truncated GIF (a block runs past the end)");
      }
    }
    if (!frame) {
      throw new Bad(Kind.CORRUPT_DATA, "truncated or corrupt GIF (no image)");
    }
    if (width == 0 || height == 0) {
      throw new Bad(Kind.CORRUPT_DATA, "corrupt GIF header (" + width + "x" + height + ")");
    }
    // OpenCV composes frames as BGRA on a canvas it keeps, with a code buffer of one frame.
    return new Header(width, height, 4, add(mul(mul(width, height), 4), largestFrame));
  }

  /** The position after a chain of sub-blocks starting at i (each a length byte and its data). */
  private static long subBlocks(byte[] b, long i) {
    long n = b.length;
    while (i < n) {
      int size = b[(int) i] & 0xff;
      i += 1 + size;
      if (size == 0) {
        return i;
      }
    }
    return n + 1;  // ran off the end
  }

  // ---- bytes ----

  /** A header that cannot be read, with the kind of failure it is. */
  private static final class Bad extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final Kind kind;

    Bad(Kind kind, String message) {
      super(message, null, false, false);
      this.kind = kind;
    }
  }

  /** Four bytes as printable text, for messages. */
  private static String fourCc(byte[] b, long at) {
    StringBuilder out = new StringBuilder();
    for (long k = at; k < at + 4 && k < b.length; k++) {
      int c = b[(int) k] & 0xff;
      out.append(c >= 0x20 && c < 0x7f ? (char) c : '?');
    }
    return out.toString();
  }

  private static boolean type(byte[] b, long at, String fourCc) {
    if (at < 0 || at + 4 > b.length) {
      return false;
    }
    for (int k = 0; k < 4; k++) {
      if (b[(int) at + k] != fourCc.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  /** Unsigned reads; positions past the end read as 0 (callers check bounds where it matters). */
  private static long u(byte[] b, long at, int bytes, boolean little) {
    if (at < 0 || at + bytes > b.length) {
      return 0;
    }
    long v = 0;
    for (int k = 0; k < bytes; k++) {
      int shift = little ? 8 * k : 8 * (bytes - 1 - k);
      v |= (b[(int) at + k] & 0xffL) << shift;
    }
    return v;
  }

  private static long u16be(byte[] b, long at) {
    return u(b, at, 2, false);
  }

  private static long u32be(byte[] b, long at) {
    return u(b, at, 4, false);
  }

  private static long u16le(byte[] b, long at) {
    return u(b, at, 2, true);
  }

  private static long u24le(byte[] b, long at) {
    return u(b, at, 3, true);
  }

  private static long u32le(byte[] b, long at) {
    return u(b, at, 4, true);
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  /** a * b for non-negative values, saturating at Long.MAX_VALUE instead of overflowing. */
  static long mul(long a, long b) {
    return Math.multiplyHigh(a, b) != 0 || a * b < 0 ? Long.MAX_VALUE : a * b;
  }

  /** a + b for non-negative values, saturating at Long.MAX_VALUE. */
  static long add(long a, long b) {
    long s = a + b;
    return s < 0 ? Long.MAX_VALUE : s;
  }
}
