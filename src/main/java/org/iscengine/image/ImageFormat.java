package org.iscengine.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.Optional;

/**
 * The formats the decoder accepts, recognised by their first bytes, with the checks OpenCV does
 * not make: that the file is complete, its header dimensions, and the EXIF orientation of the
 * formats OpenCV leaves unrotated.
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
        long declared = (b[4] & 0xffL) | (b[5] & 0xffL) << 8 | (b[6] & 0xffL) << 16 | (b[7] & 0xffL) << 24;
        return declared + 8 > b.length ? Optional.of("truncated WebP (" + b.length + " of " + (declared + 8) + " bytes)")
            : Optional.empty();
      }
      default -> {
        return Optional.empty();
      }
    }
  }

  /** Width and height from the header, when this format's header gives them cheaply. */
  Optional<int[]> dimensions(byte[] b) {
    try {
      switch (this) {
        case PNG -> {
          ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN);
          return Optional.of(new int[] {bb.getInt(16), bb.getInt(20)});
        }
        case JPEG -> {
          int i = 2;
          while (i + 9 < b.length) {
            if ((b[i] & 0xff) != 0xff) {
              i++;
              continue;
            }
            int marker = b[i + 1] & 0xff;
            if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc) {
              int h = (b[i + 5] & 0xff) << 8 | (b[i + 6] & 0xff);
              int w = (b[i + 7] & 0xff) << 8 | (b[i + 8] & 0xff);
              return Optional.of(new int[] {w, h});
            }
            int length = (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff);
            i += 2 + length;
          }
          return Optional.empty();
        }
        default -> {
          return Optional.empty();
        }
      }
    } catch (IndexOutOfBoundsException e) {
      return Optional.empty();
    }
  }

  /**
   * The EXIF orientation (1 to 8) of the formats OpenCV does not rotate itself: TIFF (its own
   * first directory), PNG (an eXIf chunk) and WebP (an EXIF chunk). 1 when absent.
   */
  int orientation(byte[] b) {
    try {
      return switch (this) {
        case TIFF -> Exif.orientation(b, 0);
        case PNG -> pngExif(b);
        case WEBP -> webpExif(b);
        default -> 1;
      };
    } catch (IndexOutOfBoundsException e) {
      return 1;
    }
  }

  private static int pngExif(byte[] b) {
    int i = 8;
    while (i + 8 <= b.length) {
      int length = (b[i] & 0xff) << 24 | (b[i + 1] & 0xff) << 16 | (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff);
      if (b[i + 4] == 'e' && b[i + 5] == 'X' && b[i + 6] == 'I' && b[i + 7] == 'f') {
        return Exif.orientation(b, i + 8);
      }
      if (b[i + 4] == 'I' && b[i + 5] == 'D' && b[i + 6] == 'A' && b[i + 7] == 'T') {
        return 1;  // eXIf comes before the image data
      }
      i += 12 + length;
    }
    return 1;
  }

  private static int webpExif(byte[] b) {
    int i = 12;
    while (i + 8 <= b.length) {
      int length = (b[i + 4] & 0xff) | (b[i + 5] & 0xff) << 8 | (b[i + 6] & 0xff) << 16 | (b[i + 7] & 0xff) << 24;
      if (b[i] == 'E' && b[i + 1] == 'X' && b[i + 2] == 'I' && b[i + 3] == 'F') {
        int start = i + 8;
        // Some writers keep the JPEG-style "Exif\0\0" prefix.
        if (b[start] == 'E' && b[start + 1] == 'x' && b[start + 2] == 'i' && b[start + 3] == 'f') {
          start += 6;
        }
        return Exif.orientation(b, start);
      }
      i += 8 + length + (length & 1);
    }
    return 1;
  }

  /** Reads tag 0x0112 of the first directory of a TIFF structure starting at `start`. */
  private static final class Exif {
    static int orientation(byte[] b, int start) {
      boolean little = b[start] == 'I';
      int ifd = (int) read(b, start + 4, 4, little);
      int entries = (int) read(b, start + ifd, 2, little);
      for (int e = 0; e < entries; e++) {
        int at = start + ifd + 2 + 12 * e;
        if (read(b, at, 2, little) == 0x0112) {
          int value = (int) read(b, at + 8, 2, little);
          return value >= 1 && value <= 8 ? value : 1;
        }
      }
      return 1;
    }

    static long read(byte[] b, int at, int bytes, boolean little) {
      long v = 0;
      for (int k = 0; k < bytes; k++) {
        int shift = little ? 8 * k : 8 * (bytes - 1 - k);
        v |= (b[at + k] & 0xffL) << shift;
      }
      return v;
    }
  }
}
