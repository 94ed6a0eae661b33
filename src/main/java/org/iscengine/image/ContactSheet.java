package org.iscengine.image;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import java.util.List;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;

/**
 * A grid of labelled thumbnails on one image, for looking at what a build made (queries next to
 * their references, say). Each image is fitted into a square cell with its label underneath.
 */
public final class ContactSheet {
  /** One cell: an 8-bit BGR image and the text written under it. */
  public record Cell(Mat image, String label) {}

  private static final int GAP = 6;
  private static final int LABEL = 18;
  private static final int BANNER = 30;

  private ContactSheet() {}

  /** The cells laid out row by row, columns per row, each fitted into cell x cell pixels. */
  public static Mat of(List<Cell> cells, int columns, int cell) {
    if (cells.isEmpty() || columns < 1 || cell < 16) {
      throw new IllegalArgumentException("a contact sheet needs cells, columns >= 1 and a cell side >= 16; got "
          + cells.size() + " cells, " + columns + " columns, side " + cell);
    }
    int rows = (cells.size() + columns - 1) / columns;
    int width = GAP + columns * (cell + GAP);
    int height = GAP + rows * (cell + LABEL + GAP);
    Mat sheet;
    try (Scalar background = new Scalar(40, 40, 40, 0)) {
      sheet = new Mat(height, width, CV_8UC3, background);
    }
    for (int k = 0; k < cells.size(); k++) {
      int x = GAP + (k % columns) * (cell + GAP);
      int y = GAP + (k / columns) * (cell + LABEL + GAP);
      place(sheet, cells.get(k), x, y, cell);
    }
    return sheet;
  }

  /** The sheets one under the other, each below a banner with its title (all as wide as the widest). */
  public static Mat titled(List<String> titles, List<Mat> sheets) {
    if (titles.size() != sheets.size() || sheets.isEmpty()) {
      throw new IllegalArgumentException("titled sheets need one title per sheet, got " + titles.size() + " titles for "
          + sheets.size() + " sheets");
    }
    int width = sheets.stream().mapToInt(Mat::cols).max().orElseThrow();
    int height = sheets.stream().mapToInt(m -> m.rows() + BANNER).sum();
    Mat out;
    try (Scalar background = new Scalar(40, 40, 40, 0)) {
      out = new Mat(height, width, CV_8UC3, background);
    }
    int y = 0;
    for (int i = 0; i < sheets.size(); i++) {
      Mat sheet = sheets.get(i);
      try (Point origin = new Point(GAP, y + BANNER - 9);
          Scalar white = new Scalar(255, 255, 255, 0);
          Rect where = new Rect(0, y + BANNER, sheet.cols(), sheet.rows());
          Mat target = new Mat(out, where)) {
        opencv_imgproc.putText(out, titles.get(i), origin, opencv_imgproc.FONT_HERSHEY_SIMPLEX, 0.6, white, 1,
            opencv_imgproc.LINE_AA, false);
        sheet.copyTo(target);
      }
      y += BANNER + sheet.rows();
    }
    return out;
  }

  private static void place(Mat sheet, Cell c, int x, int y, int cell) {
    Mat image = c.image();
    double scale = Math.min((double) cell / image.cols(), (double) cell / image.rows());
    int w = Math.max(1, (int) Math.round(image.cols() * scale));
    int h = Math.max(1, (int) Math.round(image.rows() * scale));
    try (Mat thumb = ImageOps.resize(image, w, h);
        Rect where = new Rect(x + (cell - w) / 2, y + (cell - h) / 2, w, h);
        Mat target = new Mat(sheet, where);
        Point origin = new Point(x, y + cell + LABEL - 5);
        Scalar white = new Scalar(235, 235, 235, 0)) {
      thumb.copyTo(target);
      opencv_imgproc.putText(sheet, c.label(), origin, opencv_imgproc.FONT_HERSHEY_SIMPLEX, 0.45, white, 1,
          opencv_imgproc.LINE_AA, false);
    }
  }
}
