package org.iscengine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.Images;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** isc report on two image folders, predictions and a ground truth. */
class ReportCommandTest extends CommandTest {
  /** Queries Q0-Q2 (Q2 a distractor), references R0-R3; Q0 copies R0 and Q1 copies R1. */
  @BeforeEach
  void writeCase() throws Exception {
    Random random = new Random();
    for (String id : new String[] {"queries/Q0", "queries/Q1", "queries/Q2", "refs/R0", "refs/R1", "refs/R2", "refs/R3"}) {
      Files.createDirectories(dir.resolve(id).getParent());
      try (Mat image = new Mat(30 + random.nextInt(90), 30 + random.nextInt(90), opencv_core.CV_8UC3)) {
        byte[] pixels = new byte[image.rows() * image.cols() * 3];
        random.nextBytes(pixels);
        image.data().put(pixels);
        Images.write(dir.resolve(id + ".jpg"), image, 90);
      }
    }
    Files.writeString(dir.resolve("gt.csv"), "query_id,reference_id\nQ0,R0\nQ1,R1\nQ2,\n");
    Files.writeString(dir.resolve("pred.csv"), "query_id,reference_id,score\nQ0,R0,0.9\nQ0,R3,0.4\nQ2,R2,0.8\n");
  }

  @Test
  void writesAPageAndAContactSheetBesideThePredictions() throws Exception {
    assertEquals(0, cli.run("report", "--predictions", path("pred.csv"), "--ground-truth", path("gt.csv"), "--queries",
        path("queries"), "--references", path("refs"), "--pairs", "2", "--json"), cli::err);
    JsonNode result = new ObjectMapper().readTree(cli.out());
    Path html = Path.of(result.get("html").asText());
    assertEquals(dir.resolve("pred.report.html"), html);
    String page = Files.readString(html);
    assertTrue(page.contains("<h1>pred</h1>"), page);
    assertTrue(page.contains("alt=\"R1\"") && page.contains("<td>not predicted</td>"), "Q1's copy was missed");
    try (Mat sheet = Images.read(dir.resolve("pred.report.png"))) {
      assertTrue(sheet.rows() > 3 * 150, "three parts of 150-pixel cells");
    }
  }

  @Test
  void refusesToOverwriteAnInputAndNamesAMissingImage() throws Exception {
    byte[] truth = Files.readAllBytes(dir.resolve("gt.csv"));
    assertEquals(1, cli.run("report", "--predictions", path("pred.csv"), "--ground-truth", path("gt.csv"), "--queries",
        path("queries"), "--references", path("refs"), "--html", path("gt.csv")));
    assertTrue(cli.err().contains("--html") && cli.err().contains("--ground-truth"), cli::err);
    assertArrayEquals(truth, Files.readAllBytes(dir.resolve("gt.csv")));

    Files.delete(dir.resolve("refs/R2.jpg"));
    assertEquals(1, cli.run("report", "--predictions", path("pred.csv"), "--ground-truth", path("gt.csv"), "--queries",
        path("queries"), "--references", path("refs")));
    assertTrue(cli.err().contains("'R2'"), cli::err);
    assertFalse(Files.exists(dir.resolve("pred.report.html")));
    assertEquals(2, cli.run("report", "--predictions", path("pred.csv"), "--ground-truth", path("gt.csv"), "--queries",
        path("queries"), "--references", path("refs"), "--pairs", "0"));
  }
}
