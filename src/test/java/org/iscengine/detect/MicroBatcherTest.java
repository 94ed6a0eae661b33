package org.iscengine.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.iscengine.errors.IscException.Kind;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;

class MicroBatcherTest {
  private final long seed = RandomTensors.freshSeed();

  private static MicroBatcher<Integer, Integer> doubling() {
    return new MicroBatcher<>("test-batcher", xs -> xs.stream().map(x -> 2 * x).toList(), 4, Duration.ZERO, 64,
        n -> {});
  }

  @Test
  void aSubmitAfterCloseFailsAtOnceAsUnavailable() {
    MicroBatcher<Integer, Integer> batcher = doubling();
    assertEquals(14, batcher.submit(7).join());
    batcher.close();
    RuntimeException e = assertThrows(RuntimeException.class, () -> batcher.submit(1));
    assertEquals(Kind.UNAVAILABLE, Kind.of(e), e.toString());
  }

  /** Every request racing close either runs or is refused at once: none waits forever. */
  @Test
  void submitsRacingCloseNeverWaitForever() {
    Random random = new Random(seed);
    assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
      for (int round = 0; round < 50; round++) {
        MicroBatcher<Integer, Integer> batcher = doubling();
        Map<Integer, CompletableFuture<Integer>> accepted = new ConcurrentHashMap<>();
        List<Thread> submitters = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        Queue<RuntimeException> wrong = new ConcurrentLinkedQueue<>();
        for (int t = 0; t < 8; t++) {
          int base = t * 1_000_000;
          submitters.add(new Thread(() -> {
            try {
              go.await();
              for (int i = base; ; i++) {
                try {
                  accepted.put(i, batcher.submit(i));
                } catch (RejectedExecutionException full) {
                  Thread.onSpinWait();  // a full queue: back-pressure, not the end
                }
              }
            } catch (RuntimeException e) {
              if (Kind.of(e) != Kind.UNAVAILABLE) {
                wrong.add(e);
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }));
        }
        submitters.forEach(Thread::start);
        go.countDown();
        Thread.sleep(random.nextInt(3));
        batcher.close();
        for (Thread t : submitters) {
          t.join();
        }
        assertTrue(wrong.isEmpty(), "refused as unavailable, not with " + wrong.peek());
        for (Map.Entry<Integer, CompletableFuture<Integer>> e : accepted.entrySet()) {
          try {
            assertEquals(2 * e.getKey(), e.getValue().get(10, TimeUnit.SECONDS));
          } catch (java.util.concurrent.ExecutionException refused) {
            assertEquals(Kind.UNAVAILABLE, Kind.of(refused.getCause()), refused.toString());
          }
        }
      }
    });
  }
}
