package org.iscengine.describe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bytedeco.opencv.global.opencv_ximgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.RectVector;
import org.bytedeco.opencv.opencv_ximgproc.SelectiveSearchSegmentation;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;

class SelectiveSearchTest {
  /** OpenCV's own fast-mode selective search, as a set of {x, y, width, height}. */
  private static Set<List<Integer>> openCvRegions(Mat image) {
    Set<List<Integer>> out = new HashSet<>();
    try (SelectiveSearchSegmentation search = opencv_ximgproc.createSelectiveSearchSegmentation();
        RectVector found = new RectVector()) {
      search.setBaseImage(image);
      search.switchToSelectiveSearchFast();
      search.process(found);
      for (long i = 0; i < found.size(); i++) {
        Rect r = found.get(i);
        out.add(List.of(r.x(), r.y(), r.width(), r.height()));
      }
    }
    return out;
  }

  private static List<List<Integer>> asLists(List<int[]> rects) {
    List<List<Integer>> out = new ArrayList<>();
    for (int[] r : rects) {
      out.add(List.of(r[0], r[1], r[2], r[3]));
    }
    return out;
  }

  @Test
  void theRegionsAreOpenCvsInAnOrderThatNothingElseMoves() throws Exception {
    RandomTensors.withFreshSeed(seed -> {
      for (int[] size : new int[][] {{157, 113}, {96, 160}}) {
        try (Mat image = TestImages.unrelated(seed + size[0], size[0], size[1])) {
          List<List<Integer>> first = asLists(SelectiveSearch.regions(image, 3));
          assertEquals(first.size(), new HashSet<>(first).size(), "each region once");
          // OpenCV's run moves the C library's rand() state; the seeded search must not notice.
          Set<List<Integer>> theirs = openCvRegions(image);
          assertEquals(first, asLists(SelectiveSearch.regions(image, 3)), "the same regions in the same order");
          assertTrue(!first.equals(asLists(SelectiveSearch.regions(image, 4))), "another seed, another order");
          // The same segmentations and merges: the same set of boxes, bar merges of exactly equal
          // similarity that OpenCV's unstable sort may take in another order.
          Set<List<Integer>> ours = new HashSet<>(first);
          Set<List<Integer>> common = new HashSet<>(ours);
          common.retainAll(theirs);
          double jaccard = common.size() / (double) (ours.size() + theirs.size() - common.size());
          assertTrue(theirs.size() > 20 && jaccard >= 0.9,
              size[0] + "x" + size[1] + ": " + ours.size() + " regions here, " + theirs.size() + " in OpenCV, "
                  + common.size() + " in both");
          for (List<Integer> r : first) {
            assertTrue(r.get(0) >= 0 && r.get(1) >= 0 && r.get(2) > 0 && r.get(3) > 0
                && r.get(0) + r.get(2) <= size[0] && r.get(1) + r.get(3) <= size[1], "inside the image: " + r);
          }
        }
      }
    });
  }
}
