package org.iscengine.eval;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.iscengine.image.ContactSheet;
import org.iscengine.image.Images;
import org.iscengine.match.Predictions;

/**
 * A picture of what a system gets wrong: its highest-scored false positives and the copies it
 * missed, each as three images side by side (the query, the reference in question, and the one
 * that shows why: the query's true reference for a false positive, the system's first answer for
 * a missed copy). The worst errors come first.
 */
public final class ErrorGallery {
  /** One error: the pair shown, its score (NaN when the pair was not predicted) and rank (0: not predicted). */
  public record Error(String query, String reference, float score, int rank, String other) {}

  private static final int CELL = 150;
  private static final int COLUMNS = 6;  // two errors per row

  private ErrorGallery() {}

  /** The n highest-scored predictions that are not copies; other = the query's true reference, or null. */
  public static List<Error> falsePositives(Predictions predictions, GroundTruth truth, int n) {
    int[] rank = ranks(predictions);
    List<Integer> rows = new ArrayList<>();
    for (int i = 0; i < predictions.size(); i++) {
      String q = predictions.queryId(i);
      if (truth.queries().contains(q) && !truth.isMatch(q, predictions.referenceId(i))) {
        rows.add(i);
      }
    }
    rows.sort(Comparator.comparingDouble((Integer i) -> -predictions.score(i)).thenComparing(i -> i));
    List<Error> out = new ArrayList<>();
    for (int i : rows.subList(0, Math.min(n, rows.size()))) {
      String q = predictions.queryId(i);
      String other = truth.referencesOf(q).stream().sorted().findFirst().orElse(null);
      out.add(new Error(q, predictions.referenceId(i), predictions.score(i), rank[i], other));
    }
    return out;
  }

  /**
   * The n copies the system missed worst: those it did not predict at all first, then those
   * predicted with the lowest scores; other = the query's first answer, or null.
   */
  public static List<Error> missedCopies(Predictions predictions, GroundTruth truth, int n) {
    int[] rank = ranks(predictions);
    Map<String, Integer> row = new HashMap<>();
    Map<String, Integer> first = new HashMap<>();
    for (int i = 0; i < predictions.size(); i++) {
      row.put(predictions.queryId(i) + "\n" + predictions.referenceId(i), i);
      if (rank[i] == 1) {
        first.put(predictions.queryId(i), i);
      }
    }
    List<Error> all = new ArrayList<>();
    for (GroundTruth.Match m : truth.matches()) {
      Integer i = row.get(m.query() + "\n" + m.reference());
      Integer top = first.get(m.query());
      String other = top == null || top.equals(i) ? null : predictions.referenceId(top);
      all.add(i == null ? new Error(m.query(), m.reference(), Float.NaN, 0, other)
          : new Error(m.query(), m.reference(), predictions.score(i), rank[i], other));
    }
    // Not predicted first, then by score ascending; ties by ids so the picture is reproducible.
    all.sort(Comparator.comparing((Error e) -> !Float.isNaN(e.score()))
        .thenComparingDouble(e -> Float.isNaN(e.score()) ? 0 : e.score())
        .thenComparing(Error::query).thenComparing(Error::reference));
    return all.subList(0, Math.min(n, all.size()));
  }

  /**
   * Writes the picture (PNG) of at most n false positives and n missed copies; image files are
   * found by id through the two lookups (a DISC21 folder: dir/ID.jpg).
   */
  public static void write(Path png, String system, Predictions predictions, GroundTruth truth,
      Function<String, Path> queryFile, Function<String, Path> referenceFile, int n) {
    List<Error> fps = falsePositives(predictions, truth, n);
    List<Error> missed = missedCopies(predictions, truth, n);
    List<ContactSheet.Cell> fpCells = new ArrayList<>();
    List<ContactSheet.Cell> missedCells = new ArrayList<>();
    try {
      for (Error e : fps) {
        fpCells.add(new ContactSheet.Cell(Images.read(queryFile.apply(e.query())), e.query()));
        fpCells.add(new ContactSheet.Cell(Images.read(referenceFile.apply(e.reference())),
            String.format(Locale.ROOT, "%s #%d %.3f", e.reference(), e.rank(), e.score())));
        fpCells.add(e.other() == null ? blank("distractor query")
            : new ContactSheet.Cell(Images.read(referenceFile.apply(e.other())), "true: " + e.other()));
      }
      for (Error e : missed) {
        missedCells.add(new ContactSheet.Cell(Images.read(queryFile.apply(e.query())), e.query()));
        missedCells.add(new ContactSheet.Cell(Images.read(referenceFile.apply(e.reference())),
            e.rank() == 0 ? e.reference() + " not found"
                : String.format(Locale.ROOT, "%s #%d %.3f", e.reference(), e.rank(), e.score())));
        missedCells.add(e.other() == null ? blank("no answer")
            : new ContactSheet.Cell(Images.read(referenceFile.apply(e.other())), "1st: " + e.other()));
      }
      List<String> titles = new ArrayList<>();
      List<Mat> sheets = new ArrayList<>();
      if (!fpCells.isEmpty()) {
        titles.add(system + ": top false positives");
        sheets.add(ContactSheet.of(fpCells, COLUMNS, CELL));
      }
      if (!missedCells.isEmpty()) {
        titles.add(system + ": missed copies");
        sheets.add(ContactSheet.of(missedCells, COLUMNS, CELL));
      }
      if (sheets.isEmpty()) {
        throw new IllegalArgumentException("no errors to show: no false positive and no missed copy");
      }
      try (Mat picture = ContactSheet.titled(titles, sheets)) {
        Images.write(png, picture, Images.DEFAULT_JPEG_QUALITY);
      } finally {
        sheets.forEach(Mat::close);
      }
    } finally {
      fpCells.forEach(c -> c.image().close());
      missedCells.forEach(c -> c.image().close());
    }
  }

  private static ContactSheet.Cell blank(String label) {
    try (Scalar grey = new Scalar(70, 70, 70, 0)) {
      return new ContactSheet.Cell(new Mat(CELL, CELL, CV_8UC3, grey), label);
    }
  }

  /** Each prediction's rank among its query's predictions (1: highest score; ties by row order). */
  private static int[] ranks(Predictions predictions) {
    Map<Integer, List<Integer>> byQuery = new HashMap<>();
    for (int i = 0; i < predictions.size(); i++) {
      byQuery.computeIfAbsent(predictions.queryIndex(i), q -> new ArrayList<>()).add(i);
    }
    int[] rank = new int[predictions.size()];
    for (List<Integer> rows : byQuery.values()) {
      rows.sort(Comparator.comparingDouble((Integer i) -> -predictions.score(i)).thenComparing(i -> i));
      for (int r = 0; r < rows.size(); r++) {
        rank[rows.get(r)] = r + 1;
      }
    }
    return rank;
  }
}
