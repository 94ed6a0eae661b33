package org.iscengine.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageDecodeException;
import org.iscengine.image.Images;
import org.iscengine.match.Predictions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MatchGalleryTest {
  // Q0 copies R0, Q1 copies R1 and R2, Q2 is a distractor; Q9 is not in the ground truth.
  static final GroundTruth TRUTH = new GroundTruth(Set.of("Q0", "Q1", "Q2"), List.of(
      new GroundTruth.Match("Q0", "R0"), new GroundTruth.Match("Q1", "R1"), new GroundTruth.Match("Q1", "R2")));
  static final List<String> QUERIES = List.of("Q0", "Q1", "Q2", "Q9");
  static final List<String> REFERENCES = List.of("R0", "R1", "R2", "R3");

  /** Rows: (query index, reference index, score). */
  static Predictions predictions(Object[][] rows) {
    int n = rows.length;
    int[] q = new int[n];
    int[] r = new int[n];
    float[] s = new float[n];
    for (int i = 0; i < n; i++) {
      q[i] = (Integer) rows[i][0];
      r[i] = (Integer) rows[i][1];
      s[i] = ((Number) rows[i][2]).floatValue();
    }
    return new Predictions(QUERIES, REFERENCES, q, r, s);
  }

  static final Predictions PREDICTIONS = predictions(new Object[][] {
      {0, 3, 0.9}, {0, 0, 0.5},   // Q0: a false positive ranked above its copy
      {1, 1, 0.8}, {1, 3, 0.3},   // Q1: R1 found first, R2 not predicted at all
      {2, 2, 0.7}, {2, 0, 0.95},  // distractor: both false positives
      {3, 3, 0.99}});             // outside the ground truth: ignored

  @Test
  void falsePositivesComeHighestScoreFirstWithTheTrueReference() {
    List<MatchGallery.Error> fps = MatchGallery.falsePositives(PREDICTIONS, TRUTH, 10);
    assertEquals(List.of("Q2 R0", "Q0 R3", "Q2 R2", "Q1 R3"), fps.stream().map(e -> e.query() + " " + e.reference())
        .toList());
    assertEquals(1, fps.get(0).rank());
    assertNull(fps.get(0).other(), "a distractor has no true reference");
    assertEquals("R0", fps.get(1).other());
    assertEquals(2, fps.get(3).rank());
    assertEquals(2, MatchGallery.falsePositives(PREDICTIONS, TRUTH, 2).size());
  }

  @Test
  void missedCopiesPutTheUnpredictedFirstThenTheLowestScores() {
    List<MatchGallery.Error> missed = MatchGallery.missedCopies(PREDICTIONS, TRUTH, 10);
    assertEquals(List.of("Q1 R2", "Q0 R0", "Q1 R1"), missed.stream().map(e -> e.query() + " " + e.reference())
        .toList());
    assertEquals(0, missed.get(0).rank());
    assertTrue(Float.isNaN(missed.get(0).score()));
    assertEquals("R1", missed.get(0).other(), "the query's first answer");
    assertEquals(2, missed.get(1).rank());
    assertEquals("R3", missed.get(1).other());
    assertNull(missed.get(2).other(), "its first answer is the copy itself");
  }

  @Test
  void topPairsAreTheHighestScoredOfTheGroundTruthsQueries() {
    List<MatchGallery.Error> top = MatchGallery.topPairs(PREDICTIONS, TRUTH, 4);
    assertEquals(List.of("Q2 R0", "Q0 R3", "Q1 R1", "Q2 R2"), top.stream().map(e -> e.query() + " " + e.reference())
        .toList());
    assertEquals("R0", top.get(1).other(), "a false positive shows the true reference");
    assertNull(top.get(2).other(), "a copy needs no third image");
    assertEquals(1, top.get(2).rank());
  }

  /** A random image for each id, as dir/ID.png. */
  static void writeImages(Path dir) {
    Random random = new Random();
    for (String id : List.of("Q0", "Q1", "Q2", "R0", "R1", "R2", "R3")) {
      try (Mat image = new Mat(40 + random.nextInt(60), 40 + random.nextInt(60), opencv_core.CV_8UC3)) {
        byte[] pixels = new byte[image.rows() * image.cols() * 3];
        random.nextBytes(pixels);
        image.data().put(pixels);
        Images.write(dir.resolve(id + ".png"), image, 90);
      }
    }
  }

  @Test
  void writesOnePictureWithBothSections(@TempDir Path dir) {
    writeImages(dir);
    Path png = dir.resolve("errors.png");
    MatchGallery.writeErrors(png, "system", PREDICTIONS, TRUTH, id -> dir.resolve(id + ".png"), id -> dir.resolve(id + ".png"),
        3);
    try (Mat picture = Images.read(png)) {
      // Two sections, each one banner and two rows of 150-pixel cells with labels (3 errors, 2 per row).
      assertEquals(2 * (30 + 6 + 2 * (150 + 18 + 6)), picture.rows());
      assertEquals(6 + 6 * (150 + 6), picture.cols());
    }
  }

  @Test
  void theReportIsAPageAndAPictureOfThreeParts(@TempDir Path dir) throws Exception {
    writeImages(dir);
    Path html = dir.resolve("report.html");
    Path png = dir.resolve("report.png");
    MatchGallery.writeReport(html, png, "a<b>", PREDICTIONS, TRUTH, id -> dir.resolve(id + ".png"),
        id -> dir.resolve(id + ".png"), 3);
    try (Mat picture = Images.read(png)) {
      assertEquals(3 * (30 + 6 + 2 * (150 + 18 + 6)), picture.rows(), "top pairs, false positives, missed copies");
    }
    String page = Files.readString(html);
    assertTrue(page.contains("<h1>a&lt;b&gt;</h1>") && !page.contains("a<b>"), "the system's name is escaped");
    for (String part : List.of("top-scoring pairs", "top false positives", "missed copies")) {
      assertTrue(page.contains(part + "</h2>"), part);
    }
    assertEquals(3 * 3, count(page, "<tr><td>"), "three pairs in each part");
    assertEquals(1 + 3, count(page, "class=\"copy\">copy</td>"), "Q1 R1 among the top pairs, and every missed copy");
    assertEquals(2 + 3, count(page, "class=\"wrong\">not a copy</td>"), "two top pairs and the false positives");
    assertTrue(page.contains("<td>not predicted</td>"), "Q1 R2 was not predicted");
    Matcher uri = Pattern.compile("src=\"data:image/jpeg;base64,([A-Za-z0-9+/=]+)\"").matcher(page);
    assertTrue(uri.find(), "thumbnails are inside the page");
    byte[] jpeg = Base64.getDecoder().decode(uri.group(1));
    try (Mat thumbnail = Images.decode(jpeg, "thumbnail", Images.DEFAULT_MAX_SIDE)) {
      assertTrue(thumbnail.cols() > 0 && thumbnail.cols() <= 200 && thumbnail.rows() <= 200);
    }
  }

  private static int count(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }

  @Test
  void aMissingImageIsNamed(@TempDir Path dir) {
    ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> MatchGallery.writeErrors(dir.resolve("e.png"),
        "system", PREDICTIONS, TRUTH, id -> dir.resolve(id + ".jpg"), id -> dir.resolve(id + ".jpg"), 2));
    assertTrue(e.getMessage().contains("Q2.jpg"), e.getMessage());
  }
}
