package org.iscengine.describe;

import static org.bytedeco.opencv.global.opencv_core.CV_32SC1;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2HSV;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2Lab;

import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.indexer.IntIndexer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.global.opencv_ximgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_ximgproc.GraphSegmentation;
import org.bytedeco.opencv.opencv_ximgproc.SelectiveSearchSegmentationStrategy;
import org.bytedeco.opencv.opencv_ximgproc.SelectiveSearchSegmentationStrategyColor;
import org.bytedeco.opencv.opencv_ximgproc.SelectiveSearchSegmentationStrategyFill;
import org.bytedeco.opencv.opencv_ximgproc.SelectiveSearchSegmentationStrategySize;
import org.bytedeco.opencv.opencv_ximgproc.SelectiveSearchSegmentationStrategyTexture;

/**
 * Selective search (Uijlings et al., IJCV 2013) as OpenCV ximgproc runs it in fast mode: graph
 * segmentations of the image in HSV and Lab at k = 150, 300, 450 (sigma 0.8), each grouped
 * hierarchically under two similarity strategies (colour + fill + texture + size; fill + texture +
 * size), every region of every grouping ranked by a random number times its level, lowest first.
 *
 * <p>The segmentations and similarities are OpenCV's own; the grouping and the ranking are done here
 * because OpenCV ranks with the C library's {@code rand()}, whose state is shared by every thread of
 * the process and moved by every earlier call, so its proposals for one image change from run to run.
 * Here the ranks come from a generator seeded by the caller, and equal similarities are broken by
 * region index, so one image always gives the same regions in the same order.
 */
final class SelectiveSearch {
  private static final double SIGMA = 0.8;
  private static final int[] KS = {150, 300, 450};

  private SelectiveSearch() {}

  /** The distinct regions of a BGR image, best first, as {x, y, width, height} in its pixels. */
  static List<int[]> regions(Mat bgr, long seed) {
    List<Region> all = new ArrayList<>();
    SplittableRandom rank = new SplittableRandom(seed);
    try (Mat hsv = new Mat();
        Mat lab = new Mat();
        SelectiveSearchSegmentationStrategyColor color = opencv_ximgproc.createSelectiveSearchSegmentationStrategyColor();
        SelectiveSearchSegmentationStrategyFill fill = opencv_ximgproc.createSelectiveSearchSegmentationStrategyFill();
        SelectiveSearchSegmentationStrategyTexture texture =
            opencv_ximgproc.createSelectiveSearchSegmentationStrategyTexture();
        SelectiveSearchSegmentationStrategySize size = opencv_ximgproc.createSelectiveSearchSegmentationStrategySize();
        SelectiveSearchSegmentationStrategy all4 =
            opencv_ximgproc.createSelectiveSearchSegmentationStrategyMultiple(color, fill, texture, size);
        SelectiveSearchSegmentationStrategy all3 =
            opencv_ximgproc.createSelectiveSearchSegmentationStrategyMultiple(fill, texture, size)) {
      opencv_imgproc.cvtColor(bgr, hsv, COLOR_BGR2HSV);
      opencv_imgproc.cvtColor(bgr, lab, COLOR_BGR2Lab);
      int imageId = 0;
      for (Mat image : new Mat[] {hsv, lab}) {
        for (int k : KS) {
          try (Segments segments = Segments.of(image, k)) {
            for (SelectiveSearchSegmentationStrategy strategy : new SelectiveSearchSegmentationStrategy[] {all4, all3}) {
              for (Region r : group(image, segments, strategy, imageId)) {
                r.rank = rank.nextDouble() * r.level;
                all.add(r);
              }
            }
          }
          imageId++;
        }
      }
    }
    // A stable sort: regions of equal rank keep the order in which they were found.
    all.sort(Comparator.comparingDouble(r -> r.rank));
    Set<List<Integer>> seen = new HashSet<>();
    List<int[]> out = new ArrayList<>();
    for (Region r : all) {
      int[] box = {r.x0, r.y0, r.x1 - r.x0 + 1, r.y1 - r.y0 + 1};
      if (seen.add(List.of(box[0], box[1], box[2], box[3]))) {
        out.add(box);
      }
    }
    return out;
  }

  /** A region of a grouping: its working id (the strategy's row), level in the hierarchy and box. */
  private static final class Region {
    final int id;
    final int level;
    final int x0;
    final int y0;
    final int x1;
    final int y1;
    double rank;

    Region(int id, int level, int x0, int y0, int x1, int y1) {
      this.id = id;
      this.level = level;
      this.x0 = x0;
      this.y0 = y0;
      this.x1 = x1;
      this.y1 = y1;
    }

    /** The region two regions merge into: one level up, the box around both. */
    Region joined(Region o) {
      return new Region(Math.min(id, o.id), Math.max(level, o.level) + 1, Math.min(x0, o.x0), Math.min(y0, o.y0),
          Math.max(x1, o.x1), Math.max(y1, o.y1));
    }
  }

  /** Two neighbouring regions (indices into the grouping's region list) and how alike they are. */
  private record Pair(int from, int to, float similarity) {}

  /** One graph segmentation: the label of each pixel, each segment's size, box and neighbours. */
  private static final class Segments implements AutoCloseable {
    final Mat labels = new Mat();
    int count;
    int[] sizes;
    int[][] boxes;
    boolean[] neighbour;

    static Segments of(Mat image, int k) {
      Segments s = new Segments();
      try (GraphSegmentation gs = opencv_ximgproc.createGraphSegmentation()) {
        gs.setK(k);
        gs.setSigma(SIGMA);
        gs.processImage(image, s.labels);
        s.measure();
        return s;
      } catch (RuntimeException e) {
        s.close();
        throw e;
      }
    }

    private void measure() {
      int w = labels.cols();
      int h = labels.rows();
      int[] label = new int[w * h];
      ((IntBuffer) labels.createBuffer()).get(label);
      count = Arrays.stream(label).max().orElse(0) + 1;
      sizes = new int[count];
      boxes = new int[count][];
      neighbour = new boolean[count * count];
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int p = label[y * w + x];
          sizes[p]++;
          int[] b = boxes[p];
          if (b == null) {
            boxes[p] = new int[] {x, y, x, y};
          } else {
            b[0] = Math.min(b[0], x);
            b[1] = Math.min(b[1], y);
            b[2] = Math.max(b[2], x);
            b[3] = Math.max(b[3], y);
          }
          // Neighbours as OpenCV takes them: left, above and above-left, from the second row and column.
          if (x > 0 && y > 0) {
            link(p, label[y * w + x - 1]);
            link(p, label[(y - 1) * w + x]);
            link(p, label[(y - 1) * w + x - 1]);
          }
        }
      }
      // OpenCV numbers the segments 0..count-1; a label with no pixel would have no box.
      for (int p = 0; p < count; p++) {
        if (boxes[p] == null) {
          throw new IllegalStateException("graph segmentation left segment " + p + " of " + count + " empty");
        }
      }
    }

    private void link(int a, int b) {
      neighbour[a * count + b] = true;
      neighbour[b * count + a] = true;
    }

    @Override
    public void close() {
      labels.close();
    }
  }

  /**
   * Hierarchical grouping: the two most similar neighbours merge, again and again, until one region
   * is left; every region made on the way, the segments included, is returned.
   */
  private static List<Region> group(Mat image, Segments seg, SelectiveSearchSegmentationStrategy s, int imageId) {
    List<Region> regions = new ArrayList<>();
    List<Pair> pairs = new ArrayList<>();
    try (Mat sizes = new Mat(seg.count, 1, CV_32SC1);
        IntIndexer size = sizes.createIndexer()) {
      for (int i = 0; i < seg.count; i++) {
        size.put(i, 0, seg.sizes[i]);
      }
      // The strategy reads region sizes from this Mat as merges update it.
      s.setImage(image, seg.labels, sizes, imageId);
      for (int i = 0; i < seg.count; i++) {
        int[] b = seg.boxes[i];
        regions.add(new Region(i, 1, b[0], b[1], b[2], b[3]));
        for (int j = i + 1; j < seg.count; j++) {
          if (seg.neighbour[i * seg.count + j]) {
            pairs.add(new Pair(i, j, s.get(i, j)));
          }
        }
      }
      while (!pairs.isEmpty()) {
        int best = 0;
        for (int i = 1; i < pairs.size(); i++) {
          if (pairs.get(i).similarity() > pairs.get(best).similarity()) {
            best = i;
          }
        }
        Pair p = pairs.remove(best);
        Region a = regions.get(p.from());
        Region b = regions.get(p.to());
        regions.add(a.joined(b));
        int merged = regions.size() - 1;
        s.merge(a.id, b.id);
        int total = size.get(a.id, 0) + size.get(b.id, 0);
        size.put(a.id, 0, total);
        size.put(b.id, 0, total);
        List<Integer> around = new ArrayList<>();
        for (var it = pairs.iterator(); it.hasNext(); ) {
          Pair q = it.next();
          boolean fromSide = q.from() == p.from() || q.from() == p.to();
          if (fromSide || q.to() == p.from() || q.to() == p.to()) {
            int other = fromSide ? q.to() : q.from();
            if (!around.contains(other)) {
              around.add(other);
            }
            it.remove();
          }
        }
        for (int other : around) {
          pairs.add(new Pair(merged, other, s.get(regions.get(merged).id, regions.get(other).id)));
        }
      }
    }
    return regions;
  }
}
