package org.iscengine.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.iscengine.errors.IscException;
import org.iscengine.eval.IscEvaluationTest.Row;
import org.iscengine.eval.RevisitedEvaluation.Protocol;
import org.iscengine.eval.RevisitedEvaluation.ProtocolMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RevisitedEvaluationTest {
  private static Path fixture(String name) throws Exception {
    return Path.of(RevisitedEvaluationTest.class.getResource("/eval/" + name).toURI());
  }

  /** query0 ranks db5 (junk), db1, db0 (easy), db2, db3 (hard), db4. */
  private static final List<Row> RANKING = List.of(new Row("query0", "db5", 0.9f), new Row("query0", "db1", 0.8f),
      new Row("query0", "db0", 0.7f), new Row("query0", "db2", 0.6f), new Row("query0", "db3", 0.5f),
      new Row("query0", "db4", 0.4f));

  @Test
  void handComputedProtocolsOnAPickleWrittenByPython() throws Exception {
    RevisitedGroundTruth gt = RevisitedGroundTruth.read(fixture("gnd_tiny.pkl"));
    assertEquals(6, gt.images().size());
    assertArrayEquals(new int[] {3}, gt.entries().get(0).hard());
    Map<Protocol, ProtocolMetrics> m = RevisitedEvaluation.evaluate(IscEvaluationTest.predictions(RANKING), gt);
    // Medium: positives db0, db3 at ranks 1 and 3 once db5 (junk) is removed.
    // AP = 1/2 * ((0 + 1/2) / 2 + (1/3 + 2/4) / 2) = 1/3; mP@1 = 0, mP@5 = mP@10 = 2/4.
    assertEquals(1.0 / 3, m.get(Protocol.MEDIUM).meanAveragePrecision(), 1e-12);
    assertArrayEquals(new double[] {0, 0.5, 0.5}, m.get(Protocol.MEDIUM).meanPrecisionAt(), 1e-12);
    // Easy: db3 is junk too, db0 at rank 1: AP = (0 + 1/2) / 2; mP@5 = 1/2.
    assertEquals(0.25, m.get(Protocol.EASY).meanAveragePrecision(), 1e-12);
    assertArrayEquals(new double[] {0, 0.5, 0.5}, m.get(Protocol.EASY).meanPrecisionAt(), 1e-12);
    // Hard: db0 is junk too, db3 at rank 2: AP = (0 + 1/3) / 2.
    assertEquals(1.0 / 6, m.get(Protocol.HARD).meanAveragePrecision(), 1e-12);
    // query1 has no positives: left out of every mean.
    assertEquals(1, m.get(Protocol.MEDIUM).queries());
  }

  @Test
  void unscoredImagesComeLastAndTiesInTheWorstOrder() {
    RevisitedGroundTruth gt = new RevisitedGroundTruth(List.of("a", "b", "c", "d"), List.of("q"),
        List.of(new RevisitedGroundTruth.Entry(new int[] {1}, new int[0], new int[0])));
    // Only "a" and "b" scored, equally: the positive b counts second.
    var tied = RevisitedEvaluation.evaluate(IscEvaluationTest.predictions(
        List.of(new Row("q", "a", 1f), new Row("q", "b", 1f))), gt);
    assertEquals((0 + 0.5) / 2, tied.get(Protocol.EASY).meanAveragePrecision(), 1e-12);
    // Nothing scored: b comes after a, c and d.
    var none = RevisitedEvaluation.evaluate(IscEvaluationTest.predictions(List.of()), gt);
    assertEquals((0 + 0.25) / 2, none.get(Protocol.EASY).meanAveragePrecision(), 1e-12);
  }

  @Test
  void perfectRankingScoresOneAndJsonReadsTheSame(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("gnd.json");
    Files.writeString(json, """
        {"imlist": ["a", "b", "c"], "qimlist": ["q"],
         "gnd": [{"easy": [2], "hard": [0], "junk": [1]}]}
        """);
    RevisitedGroundTruth gt = RevisitedGroundTruth.read(json);
    var m = RevisitedEvaluation.evaluate(IscEvaluationTest.predictions(
        List.of(new Row("q", "c", 3f), new Row("q", "b", 2.5f), new Row("q", "a", 2f))), gt);
    for (Protocol p : Protocol.values()) {
      assertEquals(1.0, m.get(p).meanAveragePrecision(), 1e-12, p.toString());
    }
  }

  @Test
  void badInputIsNamed(@TempDir Path dir) throws Exception {
    RevisitedGroundTruth gt = RevisitedGroundTruth.read(fixture("gnd_tiny.pkl"));
    var e = assertThrows(IllegalArgumentException.class, () -> RevisitedEvaluation.evaluate(
        IscEvaluationTest.predictions(List.of(new Row("query0", "nope", 1f))), gt));
    assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
    Path garbage = dir.resolve("gnd.pkl");
    Files.write(garbage, new byte[] {(byte) 0x80, 4, 1, 2, 3});
    var corrupt = assertThrows(IscException.class, () -> RevisitedGroundTruth.read(garbage));
    assertEquals(IscException.Kind.CORRUPT_DATA, corrupt.kind());
    assertTrue(corrupt.getMessage().contains("gnd.pkl"), corrupt.getMessage());
    Path badIndex = dir.resolve("gnd.json");
    Files.writeString(badIndex, "{\"imlist\": [\"a\"], \"qimlist\": [\"q\"], \"gnd\": [{\"easy\": [3]}]}");
    corrupt = assertThrows(IscException.class, () -> RevisitedGroundTruth.read(badIndex));
    assertEquals(IscException.Kind.CORRUPT_DATA, corrupt.kind());
    assertTrue(corrupt.getMessage().contains("gnd.json") && corrupt.getMessage().contains("image 3 of 1"),
        corrupt.getMessage());
  }

  @Test
  void aPickleDeclaringTwoGigabytesIsCorrupt(@TempDir Path dir) throws Exception {
    for (int opcode : new int[] {'B', 'X', 0x8b}) {  // BINBYTES, BINUNICODE, LONG4
      Path pickle = dir.resolve("gnd_" + opcode + ".pkl");
      Files.write(pickle, new byte[] {(byte) 0x80, 2, (byte) opcode, 0, 0, (byte) 0xf0, 0x7f, 'a', 'b', '.'});
      var e = assertThrows(IscException.class, () -> RevisitedGroundTruth.read(pickle));
      assertEquals(IscException.Kind.CORRUPT_DATA, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains(pickle.getFileName().toString()) && e.getMessage().contains("2146435072"),
          e.getMessage());
    }
    Path eight = dir.resolve("gnd_8.pkl");  // BINBYTES8 of 2^62 bytes
    Files.write(eight, new byte[] {(byte) 0x80, 4, (byte) 0x8e, 0, 0, 0, 0, 0, 0, 0, 0x40, 'a', '.'});
    var e = assertThrows(IscException.class, () -> RevisitedGroundTruth.read(eight));
    assertEquals(IscException.Kind.CORRUPT_DATA, e.kind(), e.getMessage());
  }
}
