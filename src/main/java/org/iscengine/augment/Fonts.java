package org.iscengine.augment;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;

import java.awt.Font;
import java.awt.FontFormatException;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * The fonts text overlays draw with: TrueType/OpenType files rendered by Java2D (headless), or,
 * where the machine has none, OpenCV's eight Hershey stroke fonts. Text comes back as an 8-bit
 * coverage mask that the caller paints in any colour. Thread-safe.
 */
public final class Fonts {
  private static final String[] FOLDERS = {"/usr/share/fonts", "/usr/local/share/fonts"};
  private static final int[] HERSHEY = {
    opencv_imgproc.FONT_HERSHEY_SIMPLEX, opencv_imgproc.FONT_HERSHEY_PLAIN, opencv_imgproc.FONT_HERSHEY_DUPLEX,
    opencv_imgproc.FONT_HERSHEY_COMPLEX, opencv_imgproc.FONT_HERSHEY_TRIPLEX, opencv_imgproc.FONT_HERSHEY_COMPLEX_SMALL,
    opencv_imgproc.FONT_HERSHEY_SCRIPT_SIMPLEX, opencv_imgproc.FONT_HERSHEY_SCRIPT_COMPLEX
  };

  private final List<Path> files;
  private final ConcurrentHashMap<Integer, Font> loaded = new ConcurrentHashMap<>();

  private Fonts(List<Path> files) {
    this.files = List.copyOf(files);
  }

  /** The TrueType and OpenType fonts under the system font folders (colour-emoji fonts excluded). */
  public static Fonts system() {
    List<Path> found = new ArrayList<>();
    for (String folder : FOLDERS) {
      Path dir = Path.of(folder);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.filter(Files::isRegularFile).filter(Fonts::isOutlineFont).forEach(found::add);
      } catch (IOException | UncheckedIOException e) {
        // an unreadable folder simply contributes no fonts
      }
    }
    found.sort(null);
    return new Fonts(found);
  }

  public static Fonts of(List<Path> files) {
    return new Fonts(files.stream().sorted().toList());
  }

  /** Only OpenCV's Hershey fonts. */
  public static Fonts hershey() {
    return new Fonts(List.of());
  }

  private static boolean isOutlineFont(Path p) {
    String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return (name.endsWith(".ttf") || name.endsWith(".otf")) && !name.contains("emoji");
  }

  /** Number of fonts to choose from (the Hershey faces when no files were found). */
  public int size() {
    return files.isEmpty() ? HERSHEY.length : files.size();
  }

  /** The font files in use; empty when drawing with Hershey fonts. */
  public List<Path> files() {
    return files;
  }

  /**
   * The coverage mask (CV_8UC1, 255 = ink) of one line of text in font `index` (modulo size()),
   * about `pixelHeight` pixels tall. The caller closes it.
   */
  public Mat render(String text, int index, int pixelHeight) {
    int height = Math.max(6, pixelHeight);
    if (files.isEmpty()) {
      return renderHershey(text, HERSHEY[Math.floorMod(index, HERSHEY.length)], height);
    }
    Font font = loaded.computeIfAbsent(Math.floorMod(index, files.size()), this::load).deriveFont((float) height);
    FontMetrics metrics = metrics(font);
    int width = Math.max(1, metrics.stringWidth(text));
    int lineHeight = Math.max(1, metrics.getHeight());
    BufferedImage canvas = new BufferedImage(width, lineHeight, BufferedImage.TYPE_BYTE_GRAY);
    Graphics2D g = canvas.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
      g.setColor(java.awt.Color.WHITE);
      g.setFont(font);
      g.drawString(text, 0, metrics.getAscent());
    } finally {
      g.dispose();
    }
    byte[] pixels = ((DataBufferByte) canvas.getRaster().getDataBuffer()).getData();
    Mat mask = new Mat(lineHeight, width, CV_8UC1);
    try (BytePointer data = new BytePointer(pixels)) {
      mask.data().put(data.position(0).limit(pixels.length));
    }
    return mask;
  }

  private Font load(int index) {
    Path file = files.get(index);
    try {
      return Font.createFont(Font.TRUETYPE_FONT, file.toFile());
    } catch (FontFormatException | IOException e) {
      // A font Java cannot read: fall back to the logical sans-serif font, still deterministic.
      return new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    }
  }

  private static FontMetrics metrics(Font font) {
    BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_BYTE_GRAY);
    Graphics2D g = probe.createGraphics();
    try {
      return g.getFontMetrics(font);
    } finally {
      g.dispose();
    }
  }

  private static Mat renderHershey(String text, int face, int height) {
    double scale = opencv_imgproc.getFontScaleFromHeight(face, height, 1);
    int thickness = Math.max(1, height / 12);
    int[] baseline = new int[1];
    try (Size size = opencv_imgproc.getTextSize(text, face, scale, thickness, baseline)) {
      int w = Math.max(1, size.width());
      int h = Math.max(1, size.height() + baseline[0] + thickness);
      Mat mask = new Mat(h, w, CV_8UC1, new Scalar(0));
      try (Point origin = new Point(0, size.height());
          Scalar ink = new Scalar(255)) {
        opencv_imgproc.putText(mask, text, origin, face, scale, ink, thickness, opencv_imgproc.LINE_AA, false);
      }
      return mask;
    }
  }

  static {
    // Text is rendered off screen; no display is needed or wanted.
    System.setProperty("java.awt.headless", "true");
  }
}
