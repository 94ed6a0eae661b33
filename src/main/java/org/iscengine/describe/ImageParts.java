package org.iscengine.describe;

import static org.bytedeco.opencv.global.opencv_core.ROTATE_180;
import static org.bytedeco.opencv.global.opencv_core.ROTATE_90_CLOCKWISE;
import static org.bytedeco.opencv.global.opencv_core.ROTATE_90_COUNTERCLOCKWISE;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageOps;

/**
 * The parts an image is described as for multi-part matching (the matching-track winner's): a
 * query expanded by rotations, centre crops and region proposals, so that a copy pasted into
 * another picture, turned or cropped still meets its reference; a reference as a tiled set, so
 * that a query showing part of it meets that part. A pair scores as its best part-to-part match
 * ({@code isc match --parts}). Part k of image ID is described under the id {@code ID#k}.
 */
public final class ImageParts {
  /** Which parts an image is cut into. */
  public enum Scheme {
    /** The image alone. */
    NONE,
    /**
     * Up to 14: the image, turned by 90, 180 and 270 degrees, its centre at 3/4 and 1/2 of each
     * side, turned back by 15 and 30 degrees either way, and up to 4 regions proposed by selective
     * search (OpenCV ximgproc, fast mode).
     */
    QUERY,
    /** 19: the image, its 2x2 and 3x3 tiles, and 5 crops of 2/3 of each side (the corners and the centre). */
    REFERENCE,
    /**
     * 6: the image and its 5 crops of 2/3 of each side (the corners and the centre), so that a query
     * cropped to part of its reference meets a part of about its own content.
     */
    CROPS
  }

  static final int PROPOSALS = 4;
  /**
   * The small turns a query is also described at, both ways, so that a copy turned by up to about
   * 40 degrees meets its reference nearly upright in one of them (the descriptor bears a few
   * degrees itself). Chosen on a validation split against none, +-20, +-25 and +-10/20/30.
   */
  static final double[] TURNS = {-30, -15, 15, 30};
  /** Selective search runs on the image reduced to this side: proposals need its layout, not its detail. */
  private static final int PROPOSAL_SIDE = 256;
  /** Seeds the ranking of selective search's regions. */
  private static final long PROPOSAL_SEED = 0;
  private static final Pattern PART_ID = Pattern.compile("(.*)#\\d+");

  private ImageParts() {}

  /** The parts of a BGR image (new Mats, the caller closes them); NONE gives one copy of the image. */
  public static List<Mat> cut(Mat image, Scheme scheme) {
    List<Mat> parts = new ArrayList<>();
    try {
      parts.add(image.clone());
      switch (scheme) {
        case NONE -> { }
        case QUERY -> {
          for (int rotation : new int[] {ROTATE_90_CLOCKWISE, ROTATE_180, ROTATE_90_COUNTERCLOCKWISE}) {
            Mat turned = new Mat();
            opencv_core.rotate(image, turned, rotation);
            parts.add(turned);
          }
          parts.add(crop(image, centre(image.cols(), image.rows(), 0.75)));
          parts.add(crop(image, centre(image.cols(), image.rows(), 0.5)));
          for (double degrees : TURNS) {
            parts.add(turnedBack(image, degrees));
          }
          for (int[] r : proposals(image)) {
            parts.add(crop(image, r));
          }
        }
        case REFERENCE, CROPS -> {
          if (scheme == Scheme.REFERENCE) {
            tiles(image.cols(), image.rows()).forEach(r -> parts.add(crop(image, r)));
          }
          crops(image.cols(), image.rows()).forEach(r -> parts.add(crop(image, r)));
        }
      }
      return parts;
    } catch (RuntimeException e) {
      parts.forEach(Mat::close);
      throw e;
    }
  }

  /** The id of part k of an image. */
  public static String partId(String id, int k) {
    return id + "#" + k;
  }

  /** The image an id belongs to: ID for ID#k, the id itself otherwise. */
  public static String imageId(String id) {
    Matcher m = PART_ID.matcher(id);
    return m.matches() ? m.group(1) : id;
  }

  /** The 2x2 and then the 3x3 tiles of an image, as {x, y, width, height}. */
  static List<int[]> tiles(int w, int h) {
    List<int[]> out = new ArrayList<>();
    for (int n : new int[] {2, 3}) {
      for (int row = 0; row < n; row++) {
        for (int col = 0; col < n; col++) {
          int x0 = col * w / n;
          int y0 = row * h / n;
          out.add(new int[] {x0, y0, (col + 1) * w / n - x0, (row + 1) * h / n - y0});
        }
      }
    }
    return out;
  }

  /** The 5 crops of 2/3 of each side: top-left, top-right, bottom-left, bottom-right, centre. */
  static List<int[]> crops(int w, int h) {
    List<int[]> out = new ArrayList<>();
    int cw = Math.max(1, 2 * w / 3);
    int ch = Math.max(1, 2 * h / 3);
    out.add(new int[] {0, 0, cw, ch});
    out.add(new int[] {w - cw, 0, cw, ch});
    out.add(new int[] {0, h - ch, cw, ch});
    out.add(new int[] {w - cw, h - ch, cw, ch});
    out.add(centre(w, h, 2.0 / 3));
    return out;
  }

  /** The centred rectangle of this fraction of each side. */
  static int[] centre(int w, int h, double fraction) {
    int cw = Math.max(1, (int) Math.round(w * fraction));
    int ch = Math.max(1, (int) Math.round(h * fraction));
    return new int[] {(w - cw) / 2, (h - ch) / 2, cw, ch};
  }

  /**
   * Up to {@link #PROPOSALS} regions of selective search, in its order, each covering 10 % to 80 %
   * of the image and overlapping no region already taken by more than half (intersection over union).
   * The search is seeded, so an image always gets the same regions.
   */
  static List<int[]> proposals(Mat image) {
    double scale = Math.min(1.0, (double) PROPOSAL_SIDE / Math.max(image.cols(), image.rows()));
    List<int[]> out = new ArrayList<>();
    try (Mat small = ImageOps.fit(image, PROPOSAL_SIDE, false)) {
      double area = (double) small.cols() * small.rows();
      for (int[] r : SelectiveSearch.regions(small, PROPOSAL_SEED)) {
        int[] box = {(int) Math.round(r[0] / scale), (int) Math.round(r[1] / scale),
            (int) Math.round(r[2] / scale), (int) Math.round(r[3] / scale)};
        double share = r[2] * (double) r[3] / area;
        if (share >= 0.1 && share <= 0.8 && out.stream().allMatch(o -> iou(o, box) <= 0.5)) {
          out.add(clamp(box, image.cols(), image.rows()));
          if (out.size() == PROPOSALS) {
            break;
          }
        }
      }
    }
    return out;
  }

  static double iou(int[] a, int[] b) {
    long iw = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
    long ih = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
    double inter = (double) iw * ih;
    return inter / ((double) a[2] * a[3] + (double) b[2] * b[3] - inter);
  }

  private static int[] clamp(int[] r, int w, int h) {
    int x = Math.min(Math.max(0, r[0]), w - 1);
    int y = Math.min(Math.max(0, r[1]), h - 1);
    return new int[] {x, y, Math.max(1, Math.min(r[2], w - x)), Math.max(1, Math.min(r[3], h - y))};
  }

  /**
   * The image turned by these degrees and cut to the upright rectangle a copy turned the other way
   * (its canvas grown to hold it) came from: exact for a square, close for other shapes.
   */
  static Mat turnedBack(Mat image, double degrees) {
    double rad = Math.toRadians(degrees);
    double grow = Math.abs(Math.cos(rad)) + Math.abs(Math.sin(rad));
    try (Mat turned = ImageOps.rotate(image, degrees)) {
      return crop(turned, centre(turned.cols(), turned.rows(), 1 / (grow * grow)));
    }
  }

  private static Mat crop(Mat image, int[] r) {
    return ImageOps.crop(image, r[0], r[1], r[2], r[3]);
  }
}
