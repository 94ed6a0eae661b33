package org.iscengine.eval;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.iscengine.image.ContactSheet;
import org.iscengine.image.ImageFormat;
import org.iscengine.image.ImageOps;
import org.iscengine.image.Images;
import org.iscengine.io.AtomicFile;
import org.iscengine.match.Predictions;

/**
 * Pictures of what a system matched: its highest-scored pairs, its highest-scored false positives
 * and the copies it missed, each as three images side by side (the query, the reference in
 * question, and the one that shows why: the query's true reference for a false positive, the
 * system's first answer for a missed copy). As one PNG contact sheet, and as an HTML page with
 * the scores beside the images. The worst errors come first.
 */
public final class MatchGallery {
  /** One pair shown: its score (NaN when the pair was not predicted) and rank (0: not predicted), and the third image. */
  public record Error(String query, String reference, float score, int rank, String other) {}

  /** One part of the gallery: its pairs, and how the third image of a pair is labelled. */
  private record Section(String title, String otherPrefix, Function<Error, String> noOther, List<Error> rows) {}

  private static final int CELL = 150;
  private static final int COLUMNS = 6;  // two pairs per row
  private static final int THUMBNAIL = 200;

  private MatchGallery() {}

  /** The n highest-scored predictions of queries in the ground truth; other = the query's true reference when the pair is not a copy. */
  public static List<Error> topPairs(Predictions predictions, GroundTruth truth, int n) {
    return highestScored(predictions, truth, n, i -> true);
  }

  /** The n highest-scored predictions that are not copies; other = the query's true reference, or null. */
  public static List<Error> falsePositives(Predictions predictions, GroundTruth truth, int n) {
    return highestScored(predictions, truth, n, i -> !truth.isMatch(predictions.queryId(i), predictions.referenceId(i)));
  }

  private static List<Error> highestScored(Predictions predictions, GroundTruth truth, int n, Predicate<Integer> shown) {
    int[] rank = predictions.ranks();
    List<Integer> rows = new ArrayList<>();
    for (int i = 0; i < predictions.size(); i++) {
      if (truth.queries().contains(predictions.queryId(i)) && shown.test(i)) {
        rows.add(i);
      }
    }
    rows.sort(Comparator.comparingDouble((Integer i) -> -predictions.score(i)).thenComparing(i -> i));
    List<Error> out = new ArrayList<>();
    for (int i : rows.subList(0, Math.min(n, rows.size()))) {
      String q = predictions.queryId(i);
      String r = predictions.referenceId(i);
      String other = truth.isMatch(q, r) ? null : truth.referencesOf(q).stream().sorted().findFirst().orElse(null);
      out.add(new Error(q, r, predictions.score(i), rank[i], other));
    }
    return out;
  }

  /**
   * The n copies the system missed worst: those it did not predict at all first, then those
   * predicted with the lowest scores; other = the query's first answer, or null.
   */
  public static List<Error> missedCopies(Predictions predictions, GroundTruth truth, int n) {
    int[] rank = predictions.ranks();
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
  public static void writeErrors(Path png, String system, Predictions predictions, GroundTruth truth,
      Function<String, Path> queryFile, Function<String, Path> referenceFile, int n) {
    writePicture(png, errorSections(system, predictions, truth, n), queryFile, referenceFile);
  }

  /**
   * Writes the report of at most n top-scoring pairs, n false positives and n missed copies as an
   * HTML page (thumbnails inside, so the page can be moved alone) and, unless png is null, as a
   * PNG contact sheet.
   */
  public static void writeReport(Path html, Path png, String system, Predictions predictions, GroundTruth truth,
      Function<String, Path> queryFile, Function<String, Path> referenceFile, int n) {
    List<Section> sections = new ArrayList<>();
    sections.add(new Section(system + ": top-scoring pairs", "true: ",
        e -> truth.isMatch(e.query(), e.reference()) ? "copy" : "distractor query", topPairs(predictions, truth, n)));
    sections.addAll(errorSections(system, predictions, truth, n));
    if (png != null) {
      writePicture(png, sections, queryFile, referenceFile);
    }
    String page = page(system, predictions, truth, sections, queryFile, referenceFile);
    AtomicFile.write(html, temporary -> Files.writeString(temporary, page, StandardCharsets.UTF_8));
  }

  private static List<Section> errorSections(String system, Predictions predictions, GroundTruth truth, int n) {
    return List.of(
        new Section(system + ": top false positives", "true: ", e -> "distractor query",
            falsePositives(predictions, truth, n)),
        new Section(system + ": missed copies", "1st: ", e -> "no answer", missedCopies(predictions, truth, n)));
  }

  private static void writePicture(Path png, List<Section> sections, Function<String, Path> queryFile,
      Function<String, Path> referenceFile) {
    List<String> titles = new ArrayList<>();
    List<Mat> sheets = new ArrayList<>();
    List<ContactSheet.Cell> cells = new ArrayList<>();
    try {
      for (Section section : sections) {
        if (section.rows().isEmpty()) {
          continue;
        }
        int from = cells.size();
        for (Error e : section.rows()) {
          cells.add(new ContactSheet.Cell(Images.read(queryFile.apply(e.query())), e.query()));
          cells.add(new ContactSheet.Cell(Images.read(referenceFile.apply(e.reference())), referenceLabel(e)));
          cells.add(e.other() == null ? blank(section.noOther().apply(e))
              : new ContactSheet.Cell(Images.read(referenceFile.apply(e.other())), section.otherPrefix() + e.other()));
        }
        titles.add(section.title());
        sheets.add(ContactSheet.of(cells.subList(from, cells.size()), COLUMNS, CELL));
      }
      if (sheets.isEmpty()) {
        throw new IllegalArgumentException("nothing to show: no pair predicted and no copy to find");
      }
      try (Mat picture = ContactSheet.titled(titles, sheets)) {
        Images.write(png, picture, Images.DEFAULT_JPEG_QUALITY);
      }
    } finally {
      sheets.forEach(Mat::close);
      cells.forEach(c -> c.image().close());
    }
  }

  private static String referenceLabel(Error e) {
    return e.rank() == 0 ? e.reference() + " not found"
        : String.format(Locale.ROOT, "%s #%d %.3f", e.reference(), e.rank(), e.score());
  }

  private static String page(String system, Predictions predictions, GroundTruth truth, List<Section> sections,
      Function<String, Path> queryFile, Function<String, Path> referenceFile) {
    Map<Path, String> thumbnails = new HashMap<>();
    Function<Path, String> image = file -> thumbnails.computeIfAbsent(file, MatchGallery::dataUri);
    StringBuilder h = new StringBuilder();
    h.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
        .append(escape(system)).append(": matches</title>\n<style>body{font-family:sans-serif;margin:1.5em}"
            + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}"
            + "figure{margin:0;text-align:center}img{max-width:200px;max-height:200px}"
            + ".copy{color:#070}.wrong{color:#b00}</style></head><body>\n");
    h.append("<h1>").append(escape(system)).append("</h1>\n");
    h.append(String.format(Locale.ROOT, "<p>%d predictions; %d queries in the ground truth, %d copies.</p>%n",
        predictions.size(), truth.queries().size(), truth.matches().size()));
    for (Section section : sections) {
      h.append("<h2>").append(escape(section.title())).append("</h2>\n");
      if (section.rows().isEmpty()) {
        h.append("<p>none</p>\n");
        continue;
      }
      h.append("<table><tr><th>query</th><th>reference</th><th>rank</th><th>score</th><th>verdict</th><th></th></tr>\n");
      for (Error e : section.rows()) {
        boolean copy = truth.isMatch(e.query(), e.reference());
        h.append("<tr><td>").append(figure(image.apply(queryFile.apply(e.query())), e.query()))
            .append("</td><td>").append(figure(image.apply(referenceFile.apply(e.reference())), e.reference()))
            .append("</td><td>").append(e.rank() == 0 ? "not predicted" : Integer.toString(e.rank()))
            .append("</td><td>").append(Float.isNaN(e.score()) ? "" : String.format(Locale.ROOT, "%.4f", e.score()))
            .append("</td><td class=\"").append(copy ? "copy\">copy" : "wrong\">not a copy")
            .append("</td><td>").append(e.other() == null ? escape(section.noOther().apply(e))
                : figure(image.apply(referenceFile.apply(e.other())), section.otherPrefix() + e.other()))
            .append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    return h.append("</body></html>\n").toString();
  }

  private static String figure(String dataUri, String caption) {
    return "<figure><img src=\"" + dataUri + "\" alt=\"" + escape(caption) + "\"><figcaption>" + escape(caption)
        + "</figcaption></figure>";
  }

  /** The image fitted into a THUMBNAIL square, as a JPEG data URI. */
  private static String dataUri(Path file) {
    try (Mat image = Images.read(file);
        Mat small = ImageOps.fit(image, THUMBNAIL, false)) {
      return "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(Images.encode(small, ImageFormat.JPEG, 85));
    }
  }

  private static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  private static ContactSheet.Cell blank(String label) {
    try (Scalar grey = new Scalar(70, 70, 70, 0)) {
      return new ContactSheet.Cell(new Mat(CELL, CELL, CV_8UC3, grey), label);
    }
  }
}
