package org.iscengine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.errors.IscException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The durable reference store: log, snapshots, recovery. */
class ReferenceStoreTest extends ReferenceStoreTesting {
  /** Adds references PREFIX{from} .. PREFIX{to - 1} with random vectors, and notes them in expected. */
  private void addRandom(ReferenceStore s, String prefix, int from, int to, Map<String, float[]> expected) {
    for (int i = from; i < to; i++) {
      float[] v = vector();
      s.add(prefix + i, v);
      expected.put(prefix + i, v);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"IDMap2,Flat", "exact"})
  void changesSurviveReopeningWithAndWithoutSnapshots(String index) {
    Map<String, float[]> expected = new HashMap<>();
    Path store = dir.resolve("store");
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options(index, 7))) {
      for (int i = 0; i < 30; i++) {
        float[] v = vector();
        s.add("ref-" + i, v);
        expected.put("ref-" + i, v);
      }
      List<ReferenceStore.Reference> batch = new ArrayList<>();
      for (int i = 30; i < 45; i++) {
        float[] v = vector();
        batch.add(new ReferenceStore.Reference("ref-" + i, v));
        expected.put("ref-" + i, v);
      }
      s.add(batch);
      assertTrue(s.remove("ref-3"));
      assertFalse(s.remove("ref-3"), "a second removal finds nothing");
      expected.remove("ref-3");
      float[] replaced = vector();
      s.add("ref-5", replaced);
      expected.put("ref-5", replaced);
      assertHolds(s, expected);
    }
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options(index, 0))) {
      assertHolds(s, expected);
      assertFalse(s.contains("ref-3"));
    }
    // Without any snapshot, the log alone rebuilds the same store.
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options(index, 0))) {
      s.snapshot();
    }
    deleteSnapshots(store);
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options(index, 0))) {
      assertHolds(s, expected);
    }
  }

  @Test
  void anotherIndexRebuildsFromTheLogAndKeepsEveryReference() {
    Map<String, float[]> expected = new HashMap<>();
    Path store = dir.resolve("store");
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("IDMap2,Flat", 0))) {
      for (int i = 0; i < 25; i++) {
        float[] v = vector();
        s.add("ref-" + i, v);
        expected.put("ref-" + i, v);
      }
      assertTrue(s.remove("ref-7"));
      expected.remove("ref-7");
    }  // closing writes a FAISS snapshot
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("exact", 0))) {
      assertHolds(s, expected);
      float[] v = vector();
      s.add("ref-new", v);
      expected.put("ref-new", v);
    }
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("IDMap2,Flat", 0))) {
      assertHolds(s, expected);
      assertFalse(s.contains("ref-7"));
    }
  }

  /** Opens the store again in the given index and checks that it holds what is expected. */
  private void assertReopensHolding(Path store, String index, Map<String, float[]> expected) {
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options(index, 0))) {
      assertHolds(s, expected);
    }
  }

  /** Flips the bits of a byte in the middle of the snapshot's index file: damage its checksum must catch. */
  private static void damageIndexFile(Path snapshot) throws java.io.IOException {
    try (RandomAccessFile f = new RandomAccessFile(snapshot.resolve(Snapshot.INDEX).toFile(), "rw")) {
      long at = f.length() / 2;
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x5a);
    }
  }

  /** Removes references PREFIX{from} .. PREFIX{to - 1}, which must be held, and from expected. */
  private static void removeAll(ReferenceStore s, String prefix, int from, int to, Map<String, float[]> expected) {
    for (int i = from; i < to; i++) {
      assertTrue(s.remove(prefix + i));
      expected.remove(prefix + i);
    }
  }

  private static void deleteSnapshots(Path store) {
    try {
      org.iscengine.io.FileTrees.delete(store.resolve("snapshots"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Opens a store and notes how many log records it replayed. */
  private static ReferenceStore open(Path store, long snapshotEvery, long[] replayed) {
    return ReferenceStore.open(store, DIM, options("IDMap2,Flat", snapshotEvery), new StoreHooks() {
      @Override
      public void replayed(long records) {
        replayed[0] = records;
      }
    });
  }

  @Test
  void aRestartReplaysOnlyTheLogAfterTheSnapshot() throws Exception {
    Map<String, float[]> expected = new HashMap<>();
    Path store = dir.resolve("store");
    long[] replayed = {-1};
    try (ReferenceStore s = open(store, 0, replayed)) {
      assertEquals(0, replayed[0], "a new store");
      addRandom(s, "a", 0, 40, expected);
    }
    try (ReferenceStore s = open(store, 0, replayed)) {
      assertEquals(0, replayed[0], "the snapshot written at close holds all 40 adds");
      assertHolds(s, expected);
      addRandom(s, "b", 0, 5, expected);
      assertTrue(s.remove("a7"));
      expected.remove("a7");
    }
    // Without the snapshot of the second close, the first one is loaded and the 6 changes after it replayed.
    org.iscengine.io.FileTrees.delete(Snapshot.list(store.resolve("snapshots")).get(0));
    try (ReferenceStore s = open(store, 0, replayed)) {
      assertEquals(6, replayed[0]);
      assertHolds(s, expected);
    }
    deleteSnapshots(store);
    try (ReferenceStore s = open(store, 0, replayed)) {
      assertEquals(46, replayed[0], "with no snapshot, the whole log");
      assertHolds(s, expected);
    }
  }

  @Test
  void aCorruptedSnapshotIsDetectedAndRebuiltFromTheLog() throws Exception {
    Path store = dir.resolve("store");
    Map<String, float[]> expected = new HashMap<>();
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("IDMap2,Flat", 0))) {
      addRandom(s, "r", 0, 25, expected);
    }  // close writes a snapshot
    List<Path> snapshots = Snapshot.list(store.resolve("snapshots"));
    assertEquals(1, snapshots.size());
    damageIndexFile(snapshots.get(0));
    assertReopensHolding(store, "IDMap2,Flat", expected);
  }

  @Test
  void aSnapshotWhoseManifestNamesAnotherLogRecordIsSkipped() throws Exception {
    Path store = dir.resolve("store");
    Map<String, float[]> expected = new HashMap<>();
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("exact", 0))) {
      addRandom(s, "r", 0, 10, expected);
      s.snapshot();
      addRandom(s, "r", 10, 15, expected);
    }
    // Keep the snapshot taken at record 10 (not the one written at close), then flip a digit of the
    // log record its manifest names, the one field of a snapshot no checksum covers: 10 -> 13 would
    // skip the adds of records 11 to 13.
    List<Path> snapshots = Snapshot.list(store.resolve("snapshots"));
    Path kept = snapshots.stream().filter(p -> Snapshot.sequence(p) == 10).findFirst().orElseThrow();
    for (Path p : snapshots) {
      if (!p.equals(kept)) {
        org.iscengine.io.FileTrees.delete(p);
      }
    }
    Path manifest = kept.resolve(Snapshot.MANIFEST);
    String text = Files.readString(manifest);
    Files.writeString(manifest, text.replace("\"sequence\" : 10", "\"sequence\" : 13"));
    assertTrue(Files.readString(manifest).contains("\"sequence\" : 13"), text);
    assertReopensHolding(store, "exact", expected);
  }

  @Test
  void aTornLastRecordIsCutAndKeptAsideAndEarlierRecordsStay() throws Exception {
    Path store = dir.resolve("store");
    Map<String, float[]> expected = new HashMap<>();
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("IDMap2,Flat", 0))) {
      addRandom(s, "r", 0, 10, expected);
    }
    deleteSnapshots(store);
    Path logFile = store.resolve("references.log");
    long whole = Files.size(logFile);
    // A crash in the middle of writing an eleventh record: a prefix of it reached the file.
    byte[] partial = new byte[5 + random.nextInt(60)];
    random.nextBytes(partial);
    partial[0] = 120;  // a plausible length, running past the end
    partial[1] = 0;
    partial[2] = 0;
    partial[3] = 0;
    Files.write(logFile, partial, java.nio.file.StandardOpenOption.APPEND);
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("IDMap2,Flat", 0))) {
      assertHolds(s, expected);
      s.add("after", vector());
    }
    assertTrue(Files.exists(store.resolve("references.log.torn-" + whole)), "the torn bytes are kept aside");
    // The last record's bytes garbled in place (same length): also a torn write.
    deleteSnapshots(store);
    try (RandomAccessFile f = new RandomAccessFile(logFile.toFile(), "rw")) {
      f.seek(f.length() - 3);
      f.write(new byte[] {1, 2, 3});
    }
    assertReopensHolding(store, "IDMap2,Flat", expected);
  }

  @Test
  void aLogCutInsideItsHeaderStartsEmpty() throws Exception {
    Path store = Files.createDirectories(dir.resolve("store"));
    Files.write(store.resolve("references.log"), "ISCRL".getBytes());  // a crash while creating it
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("IDMap2,Flat", 0))) {
      assertEquals(0, s.size());
      s.add("first", vector());
    }
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("IDMap2,Flat", 0))) {
      assertTrue(s.contains("first"));
    }
  }

  @Test
  void damageBeforeTheLastRecordRefusesToOpenAndNamesTheOffset() throws Exception {
    Path store = dir.resolve("store");
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("IDMap2,Flat", 0))) {
      for (int i = 0; i < 10; i++) {
        s.add("r" + i, vector());
      }
    }
    deleteSnapshots(store);
    Path logFile = store.resolve("references.log");
    byte[] before = Files.readAllBytes(logFile);
    try (RandomAccessFile f = new RandomAccessFile(logFile.toFile(), "rw")) {
      f.seek(ReferenceLog.HEADER + 8 + 20);  // inside the first record's payload
      f.write(0x77);
    }
    LogCorruptedException e = assertThrows(LogCorruptedException.class,
        () -> ReferenceStore.open(store, DIM, options("IDMap2,Flat", 0)));
    assertTrue(e.getMessage().contains("byte " + ReferenceLog.HEADER) && e.getMessage().contains("checksum"),
        e.getMessage());
    assertEquals(before.length, Files.size(logFile), "nothing was cut");
  }

  @Test
  void aSnapshotCompactsTheLogToTheLiveReferencesAndLaterChanges() {
    Path store = dir.resolve("store");
    Map<String, float[]> expected = new HashMap<>();
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("exact", 0))) {
      addRandom(s, "n", 0, 40, expected);
      removeAll(s, "n", 0, 10, expected);
      addRandom(s, "n", 10, 15, expected);
      s.snapshot();
      assertEquals(expected.size(), logRecords(store), "after the snapshot, one record per reference held");
      addRandom(s, "m", 0, 12, expected);
    }
    assertEquals(expected.size(), logRecords(store), "the log holds the references held, no removed or replaced ones");
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("exact", 0))) {
      assertHolds(s, expected);
      float[] v = vector();
      s.add("after", v);
      expected.put("after", v);
    }
    // The compacted log alone still rebuilds the store, in any index.
    deleteSnapshots(store);
    assertReopensHolding(store, "IDMap2,Flat", expected);
  }

  @Test
  void aCompactedLogStillRebuildsFromTheOlderSnapshotWhenTheNewestIsDamaged() throws Exception {
    Path store = dir.resolve("store");
    Map<String, float[]> expected = new HashMap<>();
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("exact", 0))) {
      addRandom(s, "n", 0, 40, expected);
      s.snapshot();
      removeAll(s, "n", 0, 12, expected);
      addRandom(s, "n", 12, 16, expected);
      s.snapshot();
    }
    // Kept: the 24 adds of the first 40 still held, then the 12 removes and 4 replacing adds after them.
    assertEquals(24 + 12 + 4, logRecords(store), "compacted through the older snapshot: later removes stay");
    List<Path> snapshots = Snapshot.list(store.resolve("snapshots"));
    assertEquals(2, snapshots.size());
    damageIndexFile(snapshots.get(0));
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("exact", 0))) {
      assertHolds(s, expected);
      for (int i = 0; i < 12; i++) {
        assertFalse(s.contains("n" + i), "removed n" + i + " is back");
      }
    }
  }

  private static long logRecords(Path store) {
    long[] n = {0};
    ReferenceLog.open(store.resolve("references.log"), DIM, r -> n[0]++).close();
    return n[0];
  }

  @Test
  void badInputsGetClearErrorsAndLeaveTheStoreAsItWas() {
    Path store = dir.resolve("store");
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("IDMap2,Flat", 0))) {
      s.add("kept", vector());
      assertMessage(() -> s.add("short", new float[DIM - 1]), "descriptor has 18 values", "holds 19");
      float[] nan = vector();
      nan[4] = Float.NaN;
      assertMessage(() -> s.add("nan", nan), "non-finite");
      assertMessage(() -> s.add("", vector()), "id is empty");
      assertMessage(() -> s.add("a\nb", vector()), "control characters");
      assertMessage(() -> s.add(List.of(new ReferenceStore.Reference("fine", vector()),
          new ReferenceStore.Reference("x".repeat(2000), vector()))), "longer than 1024");
      assertEquals(1, s.size(), "a refused batch adds nothing");
      IscException twice = assertThrows(IscException.class,
          () -> ReferenceStore.open(store, DIM, options("IDMap2,Flat", 0)));
      assertEquals(IscException.Kind.UNAVAILABLE, twice.kind());
      assertTrue(twice.getMessage().contains("already open"), twice.getMessage());
    }
    assertMessage(() -> ReferenceStore.open(store, DIM + 1, options("IDMap2,Flat", 0)), "holds 19-d", "20-d");
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("IDMap2,Flat", 0))) {
      assertEquals(1, s.size());
    }
  }

  @Test
  void concurrentAddsSearchesAndRemovesEndConsistent() throws Exception {
    Path store = dir.resolve("store");
    Map<String, float[]> expected = new java.util.concurrent.ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("IDMap2,Flat", 40))) {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        int thread = t;
        long threadSeed = seed + t;
        futures.add(pool.submit(() -> {
          Random r = new Random(threadSeed);
          for (int i = 0; i < 60; i++) {
            float[] v = new float[DIM];
            for (int j = 0; j < DIM; j++) {
              v[j] = (float) r.nextGaussian();
            }
            float n = 0;
            for (float x : v) {
              n += x * x;
            }
            for (int j = 0; j < DIM; j++) {
              v[j] /= (float) Math.sqrt(n);
            }
            String id = "t" + thread + "-" + i;
            s.add(id, v);
            expected.put(id, v);
            if (i % 7 == 3) {
              assertTrue(s.remove(id));
              expected.remove(id);
            }
            try (Tensor q = rows(List.of(v))) {
              s.search(q, 3);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      assertHolds(s, expected);
    } finally {
      pool.shutdown();
    }
    assertReopensHolding(store, "IDMap2,Flat", expected);
  }

  private static void assertMessage(org.junit.jupiter.api.function.Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "'" + e.getMessage() + "' lacks '" + f + "'");
    }
  }
}
