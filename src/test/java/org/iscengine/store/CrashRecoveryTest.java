package org.iscengine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.kernels.Metric;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills (SIGKILL) a child JVM in the middle of ingesting references, ten times over the same store,
 * half of them just after a snapshot began, and checks after each kill that every acknowledged
 * reference is there.
 */
class CrashRecoveryTest {
  private static final int DIM = 32;
  private static final int ROUNDS = 10;
  @TempDir Path dir;

  @Test
  void everyAcknowledgedReferenceSurvivesKillNine() throws Exception {
    long seed = RandomTensors.freshSeed();
    Random random = new Random(seed);
    Path store = dir.resolve("store");
    int next = 0;
    int killsInSnapshots = 0;
    for (int round = 0; round < ROUNDS; round++) {
      int killAfter = 40 + random.nextInt(400);
      // Odd rounds write snapshots back to back and kill just after one begins.
      boolean inSnapshot = round % 2 == 1;
      Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), IngestChild.class.getName(), store.toString(),
          String.valueOf(DIM), String.valueOf(seed), String.valueOf(next), "97", inSnapshot ? "snapshots" : "adds")
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      int lastAck = -1;
      int acks = 0;
      try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
          StandardCharsets.UTF_8))) {
        String opened = out.readLine();
        assertTrue(opened != null && opened.equals("open " + next), "round " + round + ": child said " + opened
            + " (seed " + seed + ")");
        boolean snapshotBegun = false;
        for (String line; (acks < killAfter || inSnapshot && !snapshotBegun) && (line = out.readLine()) != null; ) {
          if (line.startsWith("ack ")) {
            lastAck = Integer.parseInt(line.substring(4));
            acks++;
          } else if (acks >= killAfter) {
            snapshotBegun = true;
          }
        }
        killsInSnapshots += snapshotBegun ? 1 : 0;
        // SIGKILL (no shutdown hook, no final snapshot), through the handle: Process.destroyForcibly
        // would also close our end of the pipe.
        child.toHandle().destroyForcibly();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertTrue(acks >= killAfter, "round " + round + ": the child stopped early (seed " + seed + ")");
        // Adds acknowledged between the last line read and the kill are still in the pipe.
        for (String line; (line = out.readLine()) != null; ) {
          if (line.startsWith("ack ")) {
            lastAck = Integer.parseInt(line.substring(4));
          }
        }
      }
      try (ReferenceStore s = ReferenceStore.open(store, DIM, new ReferenceStore.Options("IDMap2,Flat",
          Metric.INNER_PRODUCT, 0))) {
        long held = s.size();
        // Acknowledged: r0 .. r{lastAck}. At most the one add in flight at the kill may also be there.
        assertTrue(held == lastAck + 1 || held == lastAck + 2, "round " + round + ": " + held + " references"
            + " after acknowledging " + (lastAck + 1) + " (seed " + seed + ")");
        for (int i = 0; i <= lastAck; i += 1 + random.nextInt(5)) {
          assertTrue(s.contains("r" + i), "round " + round + ": acknowledged r" + i + " is lost (seed " + seed + ")");
        }
        try (Tensor q = torch.empty(1, DIM);
            FloatPointer p = new FloatPointer(q.data_ptr())) {
          p.put(IngestChild.vector(seed, lastAck, DIM));
          List<ReferenceStore.Hit> hits = s.search(q, 1).get(0);
          assertEquals("r" + lastAck, hits.get(0).id());
        }
        next = (int) held;
      }
    }
    assertEquals(ROUNDS / 2, killsInSnapshots, "kills inside a snapshot (seed " + seed + ")");
  }
}
