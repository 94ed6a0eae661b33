package org.iscengine.augment;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageOps;
import org.iscengine.io.IscCache;

/**
 * Emoji for overlays: the colour bitmaps of a CBDT/CBLC colour-emoji font such as Debian's Noto
 * Color Emoji (each glyph a PNG), or, without one, generated icons. Glyphs come out as BGRA Mats.
 * Thread-safe.
 */
public final class EmojiSet {
  /** Where a Noto Color Emoji font is looked for, after $ISC_EMOJI_FONT. */
  static final List<Path> LOCATIONS = List.of(
      Path.of("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),
      IscCache.root().resolve("packages/fonts-noto-color-emoji/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"));

  private final List<byte[]> glyphs;  // PNG data; empty: generated icons
  private final String source;

  private EmojiSet(List<byte[]> glyphs, String source) {
    this.glyphs = glyphs;
    this.source = source;
  }

  /** The colour-emoji font of this machine or of the isc cache; generated icons without one. */
  public static EmojiSet system() {
    String env = System.getenv("ISC_EMOJI_FONT");
    if (env != null && !env.isBlank()) {
      return fromFont(Path.of(env));
    }
    for (Path candidate : LOCATIONS) {
      if (Files.isRegularFile(candidate)) {
        return fromFont(candidate);
      }
    }
    return generated();
  }

  public static EmojiSet generated() {
    return new EmojiSet(List.of(), "generated icons");
  }

  /** The PNG glyphs of a CBDT/CBLC font. */
  public static EmojiSet fromFont(Path font) {
    try {
      List<byte[]> pngs = ColorBitmapFont.pngs(Files.readAllBytes(font));
      if (pngs.isEmpty()) {
        throw new IllegalArgumentException("no colour bitmaps (CBDT) in " + font);
      }
      return new EmojiSet(pngs, font.getFileName() + " (" + pngs.size() + " glyphs)");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read emoji font " + font, e);
    }
  }

  public int size() {
    return glyphs.isEmpty() ? 3 : glyphs.size();
  }

  /** The font file's name and glyph count, or "generated icons" (no paths: manifests stay portable). */
  public String source() {
    return source;
  }

  /** A random emoji, `size` pixels square, as a BGRA Mat the caller closes. */
  public Mat draw(Rng rng, int size) {
    if (glyphs.isEmpty()) {
      return Generated.icon(rng, Math.max(8, size));
    }
    byte[] png = glyphs.get(rng.nextInt(glyphs.size()));
    Mat decoded;
    try (BytePointer bytes = new BytePointer(png);
        Mat buffer = new Mat(1, png.length, CV_8U, bytes)) {
      decoded = opencv_imgcodecs.imdecode(buffer, opencv_imgcodecs.IMREAD_UNCHANGED);
    }
    Mat bgra = decoded;
    if (decoded.channels() != 4) {
      bgra = new Mat();
      opencv_imgproc.cvtColor(decoded, bgra, decoded.channels() == 1 ? opencv_imgproc.COLOR_GRAY2BGRA
          : opencv_imgproc.COLOR_BGR2BGRA);
      decoded.close();
    }
    try (Mat original = bgra) {
      int s = Math.max(8, size);
      return ImageOps.resize(original, s, s);
    }
  }

  /** The PNG bitmaps of a font's CBDT table, through its CBLC index (formats 1 and 3, image formats 17-19). */
  static final class ColorBitmapFont {
    private ColorBitmapFont() {}

    static List<byte[]> pngs(byte[] font) {
      ByteBuffer b = ByteBuffer.wrap(font);
      int tables = b.getShort(4) & 0xffff;
      int cblc = -1;
      int cbdt = -1;
      for (int t = 0; t < tables; t++) {
        int rec = 12 + 16 * t;
        String tag = new String(font, rec, 4, java.nio.charset.StandardCharsets.US_ASCII);
        int offset = b.getInt(rec + 8);
        if (tag.equals("CBLC")) {
          cblc = offset;
        } else if (tag.equals("CBDT")) {
          cbdt = offset;
        }
      }
      List<byte[]> out = new ArrayList<>();
      if (cblc < 0 || cbdt < 0) {
        return out;
      }
      int sizes = b.getInt(cblc + 4);
      // The largest strike only: one bitmap per glyph.
      int best = -1;
      int bestPpem = -1;
      for (int s = 0; s < sizes; s++) {
        int ppem = font[cblc + 8 + 48 * s + 45] & 0xff;
        if (ppem > bestPpem) {
          bestPpem = ppem;
          best = s;
        }
      }
      int size = cblc + 8 + 48 * best;
      int arrayOffset = cblc + b.getInt(size);
      int subtables = b.getInt(size + 8);
      for (int i = 0; i < subtables; i++) {
        int entry = arrayOffset + 8 * i;
        int first = b.getShort(entry) & 0xffff;
        int last = b.getShort(entry + 2) & 0xffff;
        int sub = arrayOffset + b.getInt(entry + 4);
        int indexFormat = b.getShort(sub) & 0xffff;
        int imageFormat = b.getShort(sub + 2) & 0xffff;
        int imageData = cbdt + b.getInt(sub + 4);
        for (int g = 0; g <= last - first; g++) {
          int start;
          int end;
          if (indexFormat == 1) {
            start = b.getInt(sub + 8 + 4 * g);
            end = b.getInt(sub + 8 + 4 * (g + 1));
          } else if (indexFormat == 3) {
            start = b.getShort(sub + 8 + 2 * g) & 0xffff;
            end = b.getShort(sub + 8 + 2 * (g + 1)) & 0xffff;
          } else {
            break;  // other index formats hold no PNG glyphs in colour-emoji fonts
          }
          if (end <= start) {
            continue;
          }
          int at = imageData + start;
          int header = switch (imageFormat) {
            case 17 -> 5;   // small metrics
            case 18 -> 8;   // big metrics
            case 19 -> 0;   // metrics elsewhere
            default -> -1;
          };
          if (header < 0) {
            continue;
          }
          int length = b.getInt(at + header);
          if (length > 0 && at + header + 4 + length <= font.length) {
            byte[] png = new byte[length];
            System.arraycopy(font, at + header + 4, png, 0, length);
            out.add(png);
          }
        }
      }
      return out;
    }
  }
}
