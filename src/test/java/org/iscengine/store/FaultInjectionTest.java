package org.iscengine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import ch.qos.logback.classic.Level;
import org.iscengine.errors.IscException;
import org.iscengine.io.FileTrees;
import org.iscengine.kernels.Metric;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A full disk or an I/O error at each write and each sync the store makes to its log, and at each
 * file of a snapshot, one fault per run, over a workload of adds, bulk adds, removes, two snapshots
 * that compact the log, and closing. After the fault the store refuses changes saying why (or, for
 * a failed snapshot or compaction, goes on), what it holds in memory is what a reopen reads, and no
 * acknowledged change is lost.
 */
@Tag("slow")
class FaultInjectionTest {
  private static final int DIM = 8;
  private static final ReferenceStore.Options OPTIONS = new ReferenceStore.Options("exact", Metric.INNER_PRODUCT, 0);
  private static final List<String> FAULTS = List.of("No space left on device", "Input/output error");

  @TempDir Path tmp;
  private final long seed = RandomTensors.freshSeed();

  /** Fails the n-th write or sync (counting from 0) with this message; counts them all. */
  private static final class Disk implements TracedChannel.Listener {
    final int failAt;
    final String fault;
    int steps;
    String failed;

    Disk(int failAt, String fault) {
      this.failAt = failAt;
      this.fault = fault;
    }

    private void step(String what, Path file) throws IOException {
      if (steps++ == failAt) {
        failed = what + " of " + file.getFileName();
        throw new IOException(fault);
      }
    }

    @Override
    public void write(Path file, long position, ByteBuffer data) throws IOException {
      step("write", file);
    }

    @Override
    public void force(Path file) throws IOException {
      step("sync", file);
    }

    StoreHooks hooks() {
      return new StoreHooks() {
        @Override
        public FileChannel channel(Path file, FileChannel channel) {
          return new TracedChannel(file, channel, Disk.this);
        }

        @Override
        public void snapshotFileWritten(Path file) throws IOException {
          step("snapshot file", file);
        }
      };
    }
  }

  @Test
  void aFailedSyncWhenClosingStillLetsTheFolderBeOpenedAgain() {
    Path store = tmp.resolve("store");
    Map<String, float[]> acked = new HashMap<>();
    Random random = new Random(seed);
    boolean[] failing = {false};
    StoreHooks hooks = new StoreHooks() {
      @Override
      public FileChannel channel(Path file, FileChannel channel) {
        return new TracedChannel(file, channel, new TracedChannel.Listener() {
          @Override
          public void force(Path file) throws IOException {
            if (failing[0]) {
              throw new IOException("Input/output error");
            }
          }
        });
      }
    };
    ReferenceStore s = ReferenceStore.open(store, DIM, OPTIONS, hooks);
    for (int i = 0; i < 5; i++) {
      float[] v = RandomTensors.unitVector(random, DIM);
      s.add("r" + i, v);
      acked.put("r" + i, v);
    }
    failing[0] = true;
    RuntimeException e = assertThrows(RuntimeException.class, s::close);
    assertTrue(e.getMessage().contains("Input/output error"), e.getMessage());
    try (ReferenceStore again = ReferenceStore.open(store, DIM, OPTIONS)) {
      assertSame(acked, again.contents(), "reopened after a failed close");
    }
  }

  @Test
  void aFaultAtAnyWriteOrSyncLosesNoAcknowledgedChangeAndMemoryMatchesTheDisk() throws IOException {
    Disk counting = new Disk(-1, "none");
    run(counting, tmp.resolve("dry"));
    int steps = counting.steps;
    assertTrue(steps > 60, "the workload writes and syncs " + steps + " times");
    int runs = 0;
    ch.qos.logback.classic.Logger quiet = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.iscengine");
    Level level = quiet.getLevel();
    quiet.setLevel(Level.OFF);  // each run logs its fault: hundreds of lines
    try {
      runs = sweep(steps);
    } finally {
      quiet.setLevel(level);
    }
    System.out.printf("fault injection: %d runs (%d writes, syncs and snapshot files x %d faults), seed %d%n", runs,
        steps, FAULTS.size(), seed);
  }

  private int sweep(int steps) throws IOException {
    int runs = 0;
    int snapshotFiles = 0;
    for (int at = 0; at < steps; at++) {
      for (String fault : FAULTS) {
        Disk disk = new Disk(at, fault);
        Path store = tmp.resolve("run-" + at + "-" + fault.charAt(0));
        Outcome o = run(disk, store);
        String where = "fault '" + fault + "' at step " + at + " (" + disk.failed + "), seed " + seed;
        assertTrue(disk.failed != null, where + ": the fault was never reached");
        snapshotFiles += disk.failed.startsWith("snapshot file") ? 1 : 0;
        try (ReferenceStore again = ReferenceStore.open(store, DIM, OPTIONS)) {
          Map<String, float[]> onDisk = again.contents();
          if (o.memory != null) {
            assertSame(o.memory, onDisk, where + ": memory against a reopen");
          }
          // The failed change was cut from the log: exactly the acknowledged ones are there.
          assertSame(o.acked, onDisk, where + ": reopened");
        }
        FileTrees.delete(store);
        runs++;
      }
    }
    // Three snapshots (two in the workload, the final one at close) of three files each (index, id
    // map, manifest), each file failed by both faults.
    assertEquals(3 * 3 * FAULTS.size(), snapshotFiles, "runs with a fault in a snapshot's file");
    return runs;
  }

  /** What a run left: the acknowledged changes, and what memory held after the fault (null: open failed). */
  private record Outcome(Map<String, float[]> acked, Map<String, float[]> memory) {}

  /**
   * Runs the workload until the disk fails. A failed change must stop further ones with the reason;
   * a failed compaction must not (the log still holds every change).
   */
  private Outcome run(Disk disk, Path store) {
    Random random = new Random(seed);
    Map<String, float[]> acked = new HashMap<>();
    Map<String, float[]> memory = null;
    ReferenceStore s;
    try {
      s = ReferenceStore.open(store, DIM, OPTIONS, disk.hooks());
    } catch (RuntimeException e) {  // creating the log failed: nothing was acknowledged
      assertTrue(e.getMessage().contains(disk.fault), e.getMessage());
      return new Outcome(acked, null);
    }
    List<String> ids = new ArrayList<>();
    try {
      for (int change = 0; change < 60; change++) {
        if (change == 30 || change == 45) {
          try {
            s.snapshot();  // compacts the log: the removes and replaced adds are over a quarter of it
          } catch (UncheckedIOException e) {  // a file of the snapshot failed: it is not published
            assertTrue(e.getMessage().contains(disk.fault), e.getMessage());
          }
          assertTrue(s.failure().isEmpty(), "a failed snapshot or compaction does not stop changes: " + s.failure());
          continue;
        }
        try {
          if (change % 4 == 3) {
            String id = ids.remove(random.nextInt(ids.size()));
            assertTrue(s.remove(id));
            acked.remove(id);
          } else {
            List<ReferenceStore.Reference> batch = new ArrayList<>();
            int n = change % 4 == 2 ? 5 : 1;
            for (int i = 0; i < n; i++) {
              String id = change % 3 == 0 && !ids.isEmpty() ? ids.get(random.nextInt(ids.size()))
                  : "r" + change + "-" + i;
              float[] v = RandomTensors.unitVector(random, DIM);
              if (!ids.contains(id)) {
                ids.add(id);
              }
              batch.add(new ReferenceStore.Reference(id, v));
            }
            s.add(batch);
            batch.forEach(r -> acked.put(r.id(), r.vector()));
          }
        } catch (IscException e) {
          assertEquals(IscException.Kind.UNAVAILABLE, e.kind(), e.getMessage());
          String why = s.failure().orElseThrow();
          assertTrue(why.contains(disk.fault), why);
          float[] v = RandomTensors.unitVector(random, DIM);
          IscException refused = assertThrows(IscException.class, () -> s.add("after", v));
          assertTrue(refused.getMessage().contains(disk.fault), refused.getMessage());
          memory = s.contents();
          break;
        }
      }
      if (memory == null) {
        memory = s.contents();
      }
    } finally {
      try {
        s.close();
      } catch (RuntimeException e) {  // the fault hit the sync at close: every change was synced before
        assertTrue(e.getMessage().contains(disk.fault), e.getMessage());
      }
    }
    return new Outcome(acked, memory);
  }

  private static boolean equal(Map<String, float[]> a, Map<String, float[]> b) {
    return a.size() == b.size() && a.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), b.get(e.getKey())));
  }

  private static void assertSame(Map<String, float[]> expected, Map<String, float[]> got, String what) {
    assertTrue(equal(expected, got), what + ": expected " + expected.size() + " references " + expected.keySet()
        + ", got " + got.size() + " " + got.keySet());
  }
}
