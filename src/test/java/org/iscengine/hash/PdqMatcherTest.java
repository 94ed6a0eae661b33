package org.iscengine.hash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.iscengine.errors.IscException;
import org.iscengine.match.Predictions;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hamming kNN against brute force, and the hash CSV. */
class PdqMatcherTest {
  @TempDir Path dir;

  @Test
  void nearestByHammingDistanceWithTiesByReferenceOrder() {
    long seed = RandomTensors.freshSeed();
    Random r = new Random(seed);
    List<PdqHash> refs = new ArrayList<>();
    List<String> refIds = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      // Few distinct bits, so that many distances are equal.
      refs.add(new PdqHash(new long[] {r.nextInt(16), r.nextLong() & 0x3, 0, i % 7 == 0 ? -1L : 0}, 60));
      refIds.add(String.format("R%06d", i));
    }
    List<PdqHash> queries = new ArrayList<>();
    List<String> queryIds = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      PdqHash base = refs.get(r.nextInt(refs.size()));
      long[] words = base.words();
      words[r.nextInt(4)] ^= 1L << r.nextInt(64);
      queries.add(new PdqHash(words, 70));
      queryIds.add(String.format("Q%05d", i));
    }
    int k = 10;
    Predictions p = PdqMatcher.knn(new PdqCsv.Rows(queryIds, queries), new PdqCsv.Rows(refIds, refs), k);
    assertEquals(queries.size() * k, p.size());
    for (int q = 0; q < queries.size(); q++) {
      PdqHash query = queries.get(q);
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i < refs.size(); i++) {
        expected.add(i);
      }
      expected.sort(Comparator.<Integer>comparingInt(i -> query.distance(refs.get(i))).thenComparingInt(i -> i));
      for (int j = 0; j < k; j++) {
        int row = q * k + j;
        assertEquals(queryIds.get(q), p.queryId(row));
        int ref = expected.get(j);
        int d = query.distance(refs.get(ref));
        assertEquals(refIds.get(ref), p.referenceId(row), "seed " + seed + ", query " + q + ", rank " + j);
        assertEquals(1f - d / 256f, p.score(row), 0f, "seed " + seed);
        assertEquals(d, PdqMatcher.distance(p.score(row)));
      }
    }
  }

  @Test
  void csvRoundTripsAndNamesBadLines() throws Exception {
    long seed = RandomTensors.freshSeed();
    Random r = new Random(seed);
    List<String> ids = List.of("Q00001", "sub/dir/img", "with,comma", "with \"quote\"");
    List<PdqHash> hashes = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      hashes.add(new PdqHash(new long[] {r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong()}, r.nextInt(101)));
    }
    Path file = dir.resolve("h.csv");
    PdqCsv.write(file, new PdqCsv.Rows(ids, hashes));
    List<String> lines = Files.readAllLines(file);
    assertEquals(PdqCsv.HEADER, lines.get(0));
    assertEquals("Q00001," + hashes.get(0).toHex() + "," + hashes.get(0).quality(), lines.get(1));
    PdqCsv.Rows back = PdqCsv.read(file);
    assertEquals(ids, back.ids());
    assertEquals(hashes, back.hashes());

    Files.writeString(file, PdqCsv.HEADER + "\nQ1," + "0".repeat(64) + ",50\nQ2,abc,50\n");
    IscException e = assertThrows(IscException.class, () -> PdqCsv.read(file));
    assertEquals(IscException.Kind.CORRUPT_DATA, e.kind());
    assertTrue(e.getMessage().contains("h.csv:3") && e.getMessage().contains("64 hex digits"), e.getMessage());
    Files.writeString(file, PdqCsv.HEADER + "\nQ1," + "0".repeat(64) + ",x\n");
    e = assertThrows(IscException.class, () -> PdqCsv.read(file));
    assertEquals(IscException.Kind.CORRUPT_DATA, e.kind());
    assertTrue(e.getMessage().contains("h.csv:2") && e.getMessage().contains("quality"), e.getMessage());
    Files.writeString(file, PdqCsv.HEADER + "\nQ1," + "0".repeat(64) + ",1\nQ1," + "0".repeat(64) + ",1\n");
    e = assertThrows(IscException.class, () -> PdqCsv.read(file));
    assertEquals(IscException.Kind.CORRUPT_DATA, e.kind());
    assertTrue(e.getMessage().contains("twice"), e.getMessage());
    Files.writeString(file, "id,hash\n");
    e = assertThrows(IscException.class, () -> PdqCsv.read(file));
    assertEquals(IscException.Kind.CORRUPT_DATA, e.kind());
    assertTrue(e.getMessage().contains("header"), e.getMessage());
    // An unterminated quote is not read on to the end of a large file, line after line.
    Files.writeString(file, PdqCsv.HEADER + "\n\"Q1" + "\nmore text".repeat(100_000) + "\n");
    e = assertThrows(IscException.class, () -> PdqCsv.read(file));
    assertEquals(IscException.Kind.CORRUPT_DATA, e.kind());
    assertTrue(e.getMessage().contains("h.csv:2") && e.getMessage().contains("longer than"), e.getMessage());
  }
}
