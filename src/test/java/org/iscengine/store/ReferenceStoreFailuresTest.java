package org.iscengine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.errors.IscException;
import org.iscengine.io.BinaryFormat;
import org.junit.jupiter.api.Test;

/** The reference store when its index, its disk or its callers misbehave. */
class ReferenceStoreFailuresTest extends ReferenceStoreTesting {
  private List<ReferenceStore.Reference> references(Map<String, float[]> expected, String prefix, int n) {
    List<ReferenceStore.Reference> batch = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] v = vector();
      batch.add(new ReferenceStore.Reference(prefix + i, v));
      expected.put(prefix + i, v);
    }
    return batch;
  }

  private static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      Thread.sleep(5);
    }
  }

  @Test
  void anIndexThatNeedsTrainingIsSearchedExactlyUntilItCanBeTrainedThenSurvivesRestarts() throws Exception {
    String ivf = "IVF16,Flat";
    Path store = dir.resolve("store");
    Map<String, float[]> expected = new LinkedHashMap<>();
    long trainAt = ReferenceStore.trainingSize(ivf);
    assertTrue(trainAt >= 16 && trainAt <= 20_000, "trains at " + trainAt);
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options(ivf, 0))) {
      for (ReferenceStore.Reference r : references(expected, "one-", 40)) {
        s.add(r.id(), r.vector());
      }
      assertTrue(s.remove("one-7"));
      expected.remove("one-7");
      assertHolds(s, expected);
      s.add(references(expected, "bulk-", (int) trainAt));
      assertHolds(s, expected);
      s.add(references(expected, "late-", 30));
      assertTrue(s.remove("bulk-3"));
      expected.remove("bulk-3");
      assertHolds(s, expected);
      assertTrue(s.failure().isEmpty());
    }
    Path snapshot = Snapshot.list(store.resolve("snapshots")).get(0);
    assertFalse(BinaryFormat.isFramed(snapshot.resolve(Snapshot.INDEX)), "the snapshot holds a trained FAISS index");
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options(ivf, 0))) {
      assertHolds(s, expected);
    }
    org.iscengine.io.FileTrees.delete(store.resolve("snapshots"));
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options(ivf, 0))) {
      assertHolds(s, expected);  // the log alone trains and fills it again
    }
  }

  @Test
  void anIdMapOverAnIvfIndexIsRefusedAtOpenNamingWhatWorks() {
    IscException e = assertThrows(IscException.class,
        () -> ReferenceStore.open(dir.resolve("store"), DIM, options("IDMap2,IVF16,Flat", 0)));
    assertEquals(IscException.Kind.UNSUPPORTED, e.kind());
    assertTrue(e.getMessage().contains("IVF1024,Flat"), e.getMessage());
    IscException hnsw = assertThrows(IscException.class,
        () -> ReferenceStore.open(dir.resolve("store"), DIM, options("IDMap2,HNSW8", 0)));
    assertEquals(IscException.Kind.UNSUPPORTED, hnsw.kind());
  }

  @Test
  void aSmallUntrainedStoreSnapshotsAndReopens() {
    String ivf = "IVF16,Flat";
    Path store = dir.resolve("store");
    Map<String, float[]> expected = new LinkedHashMap<>();
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options(ivf, 5))) {
      s.add(references(expected, "r", 12));
      s.snapshot();
    }
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options(ivf, 0))) {
      assertHolds(s, expected);
      s.add(references(expected, "more", 3));
      assertHolds(s, expected);
    }
  }

  @Test
  void aFailureAfterTheLogWriteStopsChangesAndTheLogKeepsTheChange() {
    Path store = dir.resolve("store");
    Map<String, float[]> expected = new LinkedHashMap<>();
    AtomicBoolean broken = new AtomicBoolean();
    StoreHooks hooks = new StoreHooks() {
      @Override
      public void afterLogWrite() {
        if (broken.get()) {
          throw new IllegalStateException("index refused the vectors");
        }
      }
    };
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("exact", 0), hooks)) {
      s.add(references(expected, "r", 5));
      broken.set(true);
      List<ReferenceStore.Reference> logged = references(expected, "logged", 2);
      assertThrows(RuntimeException.class, () -> s.add(logged));
      broken.set(false);
      assertTrue(s.failure().orElseThrow().contains("index refused the vectors"), s.failure().toString());
      IscException refused = assertThrows(IscException.class, () -> s.add("after", vector()));
      assertEquals(IscException.Kind.UNAVAILABLE, refused.kind());
      assertTrue(refused.getMessage().contains("index refused the vectors"), refused.getMessage());
      assertEquals(IscException.Kind.UNAVAILABLE, assertThrows(IscException.class, () -> s.remove("r1")).kind());
    }
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("exact", 0))) {
      assertHolds(s, expected);
      assertTrue(s.failure().isEmpty());
    }
  }

  @Test
  void aFailingDiskStopsChangesWithTheReasonAndLosesNothingWritten() {
    Path store = dir.resolve("store");
    Map<String, float[]> expected = new LinkedHashMap<>();
    AtomicBoolean full = new AtomicBoolean();
    StoreHooks hooks = new StoreHooks() {
      @Override
      public void beforeLogWrite() throws IOException {
        if (full.get()) {
          throw new IOException("No space left on device");
        }
      }
    };
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("IDMap2,Flat", 0), hooks)) {
      s.add(references(expected, "r", 4));
      full.set(true);
      IscException e = assertThrows(IscException.class, () -> s.add("lost", vector()));
      assertEquals(IscException.Kind.UNAVAILABLE, e.kind());
      assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
      full.set(false);
      assertEquals(IscException.Kind.UNAVAILABLE, assertThrows(IscException.class, () -> s.add("x", vector())).kind());
      assertEquals(IscException.Kind.UNAVAILABLE, assertThrows(IscException.class, () -> s.remove("r0")).kind());
      assertTrue(s.failure().orElseThrow().contains("No space left on device"));
      assertHolds(s, expected);  // searches go on
    }
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("IDMap2,Flat", 0))) {
      assertHolds(s, expected);
      s.add("x", vector());
    }
  }

  /** A real write failure: a child JVM under a file size limit (writes past it fail with EFBIG). */
  @Test
  void aLogThatCannotGrowStopsChangesAndKeepsWhatWasAcknowledged() throws Exception {
    Path store = dir.resolve("store");
    int limitKb = 16 + random.nextInt(16);
    Process child = new ProcessBuilder("bash", "-c", "ulimit -f " + limitKb + " && exec \"$0\" \"$@\"",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData",
        "-cp", System.getProperty("java.class.path"), FullDiskChild.class.getName(), store.toString(), String.valueOf(DIM), String.valueOf(seed))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    List<String> lines;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
        StandardCharsets.UTF_8))) {
      lines = out.lines().toList();
    }
    assertTrue(child.waitFor(120, TimeUnit.SECONDS));
    int acked = (int) lines.stream().filter(l -> l.startsWith("ack ")).count();
    String refused = lines.stream().filter(l -> l.startsWith("refused ")).findFirst().orElse("none: " + lines);
    assertTrue(acked > 10, "acknowledged " + acked);
    assertTrue(refused.startsWith("refused UNAVAILABLE") && refused.contains("File too large"), refused);
    assertTrue(lines.contains("then UNAVAILABLE"), lines.toString());
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("failure ") && l.contains("File too large")),
        lines.toString());
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("exact", 0))) {
      Map<String, float[]> expected = new LinkedHashMap<>();
      for (int i = 0; i < acked; i++) {
        expected.put("r" + i, IngestChild.vector(seed, i, DIM));
      }
      assertHolds(s, expected);
    }
  }

  @Test
  void aSecondOpenInTheSameProcessIsRefusedAndTheLockStaysHeld() throws Exception {
    Path store = dir.resolve("store");
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("exact", 0))) {
      s.add("a", vector());
      for (Path same : List.of(store, dir.resolve("other/../store"))) {
        Files.createDirectories(dir.resolve("other"));
        IscException e = assertThrows(IscException.class, () -> ReferenceStore.open(same, DIM, options("exact", 0)));
        assertEquals(IscException.Kind.UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().contains("already open in this process"), e.getMessage());
      }
      assertEquals("held", probeLock(store.resolve("store.lock")), "another process still cannot open it");
      s.add("b", vector());
    }
    assertEquals("free", probeLock(store.resolve("store.lock")));
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("exact", 0))) {
      assertEquals(2, s.size());
    }
  }

  private static String probeLock(Path lockFile) throws Exception {
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), LockProbe.class.getName(), lockFile.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line = out.readLine();
      assertTrue(child.waitFor(60, TimeUnit.SECONDS));
      return line;
    }
  }

  @Test
  void searchesAndChangesGoOnWhileASnapshotIsWritten() throws Exception {
    Path store = dir.resolve("store");
    Map<String, float[]> expected = new LinkedHashMap<>();
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    StoreHooks slowDisk = new StoreHooks() {
      @Override
      public void beforeSnapshotWrite() throws IOException {
        writing.countDown();
        try {
          finish.await();
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      }
    };
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("exact", 0), slowDisk)) {
      s.add(references(expected, "r", 200));
      CompletableFuture<Void> snapshot = CompletableFuture.runAsync(s::snapshot);
      assertTrue(writing.await(30, TimeUnit.SECONDS));
      float[] v = vector();
      CompletableFuture<Void> add = CompletableFuture.runAsync(() -> s.add("during", v));
      Thread.sleep(100);  // the add is queued (or done)
      CompletableFuture<String> match = CompletableFuture.supplyAsync(() -> {
        try (Tensor q = rows(List.of(expected.get("r0")))) {
          return s.search(q, 1).get(0).get(0).id();
        }
      });
      try {
        assertEquals("r0", match.get(10, TimeUnit.SECONDS));
        add.get(10, TimeUnit.SECONDS);
      } finally {
        finish.countDown();
      }
      snapshot.get(30, TimeUnit.SECONDS);
      expected.put("during", v);
      assertHolds(s, expected);
    }
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("exact", 0))) {
      assertHolds(s, expected);
    }
  }

  @Test
  void aFailingBackgroundSnapshotIsRetriedWithGrowingPauses() throws Exception {
    Path store = dir.resolve("store");
    AtomicInteger attempts = new AtomicInteger();
    AtomicBoolean failing = new AtomicBoolean(true);
    AtomicLong clock = new AtomicLong(System.nanoTime());
    StoreHooks hooks = new StoreHooks() {
      @Override
      public void beforeSnapshotWrite() throws IOException {
        attempts.incrementAndGet();
        if (failing.get()) {
          throw new IOException("Input/output error");
        }
      }

      @Override
      public long nanoTime() {
        return clock.get();
      }
    };
    long second = TimeUnit.SECONDS.toNanos(1);
    try (ReferenceStore s = ReferenceStore.open(store, DIM, options("exact", 1), hooks)) {
      s.add("r0", vector());
      eventually(() -> attempts.get() == 1 && s.snapshotIdle(), "the first attempt");
      for (int i = 1; i < 20; i++) {
        s.add("r" + i, vector());
      }
      Thread.sleep(200);
      assertEquals(1, attempts.get(), "no retry before the pause is over");
      clock.addAndGet(second + 1);
      s.add("a", vector());
      eventually(() -> attempts.get() == 2 && s.snapshotIdle(), "the second attempt");
      clock.addAndGet(second + 1);
      s.add("b", vector());
      Thread.sleep(200);
      assertEquals(2, attempts.get(), "the pause doubled");
      clock.addAndGet(second);
      s.add("c", vector());
      eventually(() -> attempts.get() == 3 && s.snapshotIdle(), "the third attempt");
      failing.set(false);
      clock.addAndGet(10 * second);
      s.add("d", vector());
      eventually(() -> attempts.get() == 4 && s.snapshotIdle(), "the successful attempt");
      assertEquals(1, Snapshot.list(store.resolve("snapshots")).size());
      s.add("e", vector());
      eventually(() -> attempts.get() == 5 && s.snapshotIdle(), "snapshots back to every change");
    }
  }
}
