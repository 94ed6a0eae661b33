package org.iscengine.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.errors.IscException;
import org.iscengine.kernels.Metric;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class VectorIndexTest {
  /** Equal up to float rounding: same ids where the scores are not within tol of each other. */
  static void assertSameNeighbours(Neighbors want, Neighbors got, float tol, String what) {
    assertEquals(want.queries(), got.queries());
    assertEquals(want.k(), got.k());
    for (int q = 0; q < want.queries(); q++) {
      for (int r = 0; r < want.k(); r++) {
        assertEquals(want.score(q, r), got.score(q, r), tol, what + ": score q" + q + " rank " + r);
        boolean nearTie = (r > 0 && Math.abs(want.score(q, r) - want.score(q, r - 1)) < tol)
            || (r + 1 < want.k() && Math.abs(want.score(q, r) - want.score(q, r + 1)) < tol);
        if (!nearTie) {
          assertEquals(want.id(q, r), got.id(q, r), what + ": id q" + q + " rank " + r);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Metric.class)
  void faissFlatAgreesWithTheExactKernel(Metric metric) {
    long seed = RandomTensors.freshSeed();
    try (Tensor base = RandomTensors.uniform(seed, -1, 1, 1537, 48);
        Tensor queries = RandomTensors.uniform(seed + 1, -1, 1, 29, 48);
        FaissIndex faiss = FaissIndex.create(48, "Flat", metric);
        ExactIndex exact = new ExactIndex(48, metric)) {
      faiss.add(base);
      exact.add(base);
      assertEquals(1537, faiss.size());
      assertEquals(1537, exact.size());
      for (int k : new int[] {1, 10, 100}) {
        assertSameNeighbours(faiss.search(queries, k), exact.search(queries, k), 1e-4f, "k=" + k + " seed " + seed);
      }
      float radius = metric == Metric.L2 ? 13f : 2f;
      RangeNeighbors fr = faiss.rangeSearch(queries, radius);
      RangeNeighbors er = exact.rangeSearch(queries, radius);
      for (int q = 0; q < 29; q++) {
        Set<Long> f = new HashSet<>();
        Set<Long> e = new HashSet<>();
        for (int i = 0; i < fr.count(q); i++) {
          f.add(fr.id(q, i));
        }
        for (int i = 0; i < er.count(q); i++) {
          e.add(er.id(q, i));
          if (i > 0) {
            boolean ordered = metric == Metric.L2 ? er.score(q, i - 1) <= er.score(q, i) : er.score(q, i - 1) >= er.score(q, i);
            assertTrue(ordered, "range hits come best first");
          }
        }
        assertEquals(f, e, "range hits of query " + q + ", seed " + seed);
      }
    }
  }

  @Test
  void explicitIdsComeBackFromBothIndexes() {
    long seed = RandomTensors.freshSeed();
    long[] ids = new long[300];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = 1_000_000_000_000L + 7L * i;
    }
    try (Tensor base = RandomTensors.uniform(seed, -1, 1, 300, 16);
        Tensor queries = base.narrow(0, 40, 5).contiguous();
        FaissIndex faiss = FaissIndex.create(16, "IDMap,Flat", Metric.L2);
        ExactIndex exact = new ExactIndex(16, Metric.L2)) {
      faiss.add(base, ids);
      exact.add(base, ids);
      Neighbors f = faiss.search(queries, 3);
      Neighbors e = exact.search(queries, 3);
      for (int q = 0; q < 5; q++) {
        assertEquals(ids[40 + q], e.id(q, 0), "a vector is its own nearest neighbour");
        assertEquals(0f, e.score(q, 0), 1e-5f);
      }
      assertSameNeighbours(f, e, 1e-4f, "seed " + seed);
    }
  }

  @Test
  void removedIdsLeaveBothIndexesAndTheOthersKeepTheirIds() {
    long seed = RandomTensors.freshSeed();
    int n = 203;
    long[] ids = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = 5_000_000_000L + 3L * i;
    }
    long[] gone = {ids[0], ids[17], ids[100], ids[n - 1], 42L /* never added */};
    try (Tensor base = RandomTensors.uniform(seed, -1, 1, n, 24);
        FaissIndex faiss = FaissIndex.create(24, "IDMap2,Flat", Metric.INNER_PRODUCT);
        ExactIndex exact = new ExactIndex(24, Metric.INNER_PRODUCT)) {
      for (int i = 0; i < n; i++) {  // one at a time, as a service adds references
        try (Tensor row = base.narrow(0, i, 1)) {
          faiss.add(row, new long[] {ids[i]});
          exact.add(row, new long[] {ids[i]});
        }
      }
      assertEquals(4, faiss.remove(gone));
      assertEquals(4, exact.remove(gone));
      assertEquals(0, exact.remove(gone), "removing twice removes nothing");
      assertEquals(n - 4, faiss.size());
      assertEquals(n - 4, exact.size());
      try (Tensor queries = base.narrow(0, 15, 4).contiguous()) {  // rows 15..18: row 17 is gone
        Neighbors f = faiss.search(queries, 5);
        Neighbors e = exact.search(queries, 5);
        assertSameNeighbours(f, e, 1e-4f, "seed " + seed);
        for (int q = 0; q < 4; q++) {
          for (int r = 0; r < 5; r++) {
            assertTrue(e.id(q, r) != ids[17] && e.id(q, r) != ids[0], "a removed vector came back");
          }
        }
      }
      try (FaissIndex hnsw = FaissIndex.create(24, "HNSW8", Metric.L2)) {
        hnsw.add(base);
        assertMessage(() -> hnsw.remove(new long[] {1}), "remove_ids", "not implemented");
      }
    }
  }

  @Test
  void savedIndexesSearchTheSameAfterLoading(@TempDir Path dir) throws Exception {
    long seed = RandomTensors.freshSeed();
    try (Tensor base = RandomTensors.uniform(seed, -1, 1, 2000, 24);
        Tensor queries = RandomTensors.uniform(seed + 1, -1, 1, 7, 24);
        FaissIndex ivf = FaissIndex.create(24, "IVF16,Flat", Metric.INNER_PRODUCT);
        ExactIndex exact = new ExactIndex(24, Metric.INNER_PRODUCT)) {
      ivf.train(base);
      ivf.add(base);
      ivf.setParameter("nprobe", 4);
      long[] ids = new long[2000];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = 5000 - i;
      }
      exact.add(base, ids);
      Path ivfFile = dir.resolve("ivf.faiss");
      Path exactFile = dir.resolve("exact.idx");
      ivf.save(ivfFile);
      exact.save(exactFile);
      try (VectorIndex ivfBack = VectorIndex.load(ivfFile);
          VectorIndex exactBack = VectorIndex.load(exactFile)) {
        assertInstanceOf(FaissIndex.class, ivfBack);
        assertInstanceOf(ExactIndex.class, exactBack);
        ((FaissIndex) ivfBack).setParameter("nprobe", 4);
        Neighbors before = ivf.search(queries, 10);
        Neighbors after = ivfBack.search(queries, 10);
        assertArrayEquals(before.ids(), after.ids());
        assertArrayEquals(before.scores(), after.scores());
        Neighbors exactBefore = exact.search(queries, 10);
        Neighbors exactAfter = exactBack.search(queries, 10);
        assertArrayEquals(exactBefore.ids(), exactAfter.ids());
        assertArrayEquals(exactBefore.scores(), exactAfter.scores());
        assertEquals(2000, exactBack.size());
      }
      try (var files = Files.list(dir)) {
        assertEquals(2, files.count(), "no temporary files are left behind");
      }
      // A damaged file is refused with its name, never loaded half.
      byte[] bytes = Files.readAllBytes(exactFile);
      bytes[100] ^= 0x40;
      Path flipped = dir.resolve("flipped.idx");
      Files.write(flipped, bytes);
      assertCorrupt(() -> VectorIndex.load(flipped), "flipped.idx", "checksum");
      Path truncated = dir.resolve("truncated.idx");
      Files.write(truncated, java.util.Arrays.copyOf(bytes, 500));
      assertCorrupt(() -> VectorIndex.load(truncated), "truncated");
      Path junk = dir.resolve("junk.faiss");
      Files.write(junk, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
      assertCorrupt(() -> VectorIndex.load(junk), "junk.faiss");
      assertMessage(() -> VectorIndex.load(dir.resolve("missing")), "not found");
    }
  }

  @Test
  void badCallsGetClearErrors() {
    try (Tensor base = RandomTensors.uniform(1, -1, 1, 100, 8);
        Tensor narrow = RandomTensors.uniform(2, -1, 1, 3, 7);
        Tensor nan = RandomTensors.uniform(3, -1, 1, 3, 8);
        FaissIndex flat = FaissIndex.create(8, "Flat", Metric.L2);
        FaissIndex ivf = FaissIndex.create(8, "IVF4,Flat", Metric.L2);
        ExactIndex exact = new ExactIndex(8, Metric.L2)) {
      try (FloatPointer p = new FloatPointer(nan.data_ptr())) {
        p.put(9, Float.NaN);
      }
      flat.add(base);
      exact.add(base);
      for (VectorIndex index : List.<VectorIndex>of(flat, exact)) {
        assertMessage(() -> index.search(narrow, 3), "dimension mismatch", "d=7", "d=8");
        assertMessage(() -> index.search(base, 101), "k=101", "exceeds", "100");
        assertMessage(() -> index.search(base, 0), "k");
        assertMessage(() -> index.add(nan), "NaN", "row 1");
        assertMessage(() -> index.add(base, new long[] {1, 2}), "2 ids", "100 vectors");
      }
      assertMessage(() -> flat.add(base, new long[100]), "add_with_ids");
      assertFalse(ivf.isTrained());
      assertMessage(() -> ivf.add(base), "trained");
      assertMessage(() -> FaissIndex.create(8, "NoSuchIndex42", Metric.L2), "NoSuchIndex42");
      assertMessage(() -> FaissIndex.create(0, "Flat", Metric.L2), "dimension");
    }
    ExactIndex closed = new ExactIndex(4, Metric.L2);
    closed.close();
    assertThrows(IllegalStateException.class, closed::size);
    FaissIndex closedFaiss = FaissIndex.create(4, "Flat", Metric.L2);
    closedFaiss.close();
    assertThrows(IllegalStateException.class, closedFaiss::size);
  }

  @Test
  void concurrentSearchesAgree() throws Exception {
    long seed = RandomTensors.freshSeed();
    try (Tensor base = RandomTensors.uniform(seed, -1, 1, 3000, 32);
        Tensor queries = RandomTensors.uniform(seed + 1, -1, 1, 11, 32);
        FaissIndex faiss = FaissIndex.create(32, "Flat", Metric.INNER_PRODUCT);
        ExactIndex exact = new ExactIndex(32, Metric.INNER_PRODUCT)) {
      faiss.add(base);
      exact.add(base);
      Neighbors f0 = faiss.search(queries, 5);
      Neighbors e0 = exact.search(queries, 5);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Boolean>> results = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
          VectorIndex index = t % 2 == 0 ? faiss : exact;
          Neighbors expected = t % 2 == 0 ? f0 : e0;
          results.add(pool.submit(() -> java.util.Arrays.equals(expected.ids(), index.search(queries, 5).ids())));
        }
        for (Future<Boolean> r : results) {
          assertTrue(r.get(), "seed " + seed);
        }
      } finally {
        pool.shutdown();
      }
    }
  }

  @Test
  void faissThreadCountIsSettable() {
    int before = FaissIndex.threads();
    FaissIndex.setThreads(1);
    assertEquals(1, FaissIndex.threads());
    FaissIndex.setThreads(before);
    assertTrue(FaissIndex.buildInfo().contains("FAISS 1."), FaissIndex.buildInfo());
    assertMessage(() -> FaissIndex.setThreads(0), "threads");
  }

  private static void assertCorrupt(Executable call, String... fragments) {
    assertEquals(IscException.Kind.CORRUPT_DATA, assertMentions(IscException.class, call, fragments).kind());
  }

  private static void assertMessage(Executable call, String... fragments) {
    assertMentions(IllegalArgumentException.class, call, fragments);
  }

  private static <T extends Throwable> T assertMentions(Class<T> type, Executable call, String... fragments) {
    T e = assertThrows(type, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), () -> "'" + e.getMessage() + "' should mention '" + f + "'");
    }
    return e;
  }
}
