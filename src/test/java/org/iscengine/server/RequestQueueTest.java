package org.iscengine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The order in which waiting requests are served, on a clock the test moves. */
class RequestQueueTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final List<String> log = new ArrayList<>();
  private final RequestQueue queue = new RequestQueue(16, Duration.ofMillis(100), now::get);

  private Runnable request(String name) {
    return queue.entry(() -> log.add(name), () -> log.add(name + " refused"));
  }

  private void advanceMs(long ms) {
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
  }

  private void serveAll() throws InterruptedException {
    while (!queue.isEmpty()) {
      queue.take().run();
    }
  }

  @Test
  void firstInFirstOutWhileTheQueueMoves() throws Exception {
    for (String name : List.of("a", "b", "c")) {
      queue.offer(request(name));
      advanceMs(5);
    }
    assertFalse(queue.congested());  // the oldest waited 15 ms
    serveAll();
    assertEquals(List.of("a", "b", "c"), log);
  }

  @Test
  void aCongestedQueueServesTheNewestFirstAndRefusesWhatWaitedPastTheBudget() throws Exception {
    for (String name : List.of("burst-0", "burst-1", "burst-2")) {
      queue.offer(request(name));
    }
    advanceMs(30);  // past a quarter of 100 ms
    queue.offer(request("lone"));
    assertTrue(queue.congested());
    queue.take().run();
    assertEquals(List.of("lone"), log);
    queue.take().run();  // still congested: the newest of the burst
    advanceMs(80);  // the rest waited 110 ms
    serveAll();
    assertEquals(List.of("lone", "burst-2", "burst-1 refused", "burst-0 refused"), log);
  }

  @Test
  void anExecutorDrivesItAndAZeroBudgetIsRefused() throws Exception {
    RequestQueue real = new RequestQueue(4, Duration.ofSeconds(30), System::nanoTime);
    ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, real);
    try {
      CountDownLatch done = new CountDownLatch(3);
      for (int i = 0; i < 3; i++) {
        pool.execute(real.entry(done::countDown, () -> {
          throw new AssertionError("refused within the budget");
        }));
      }
      assertTrue(done.await(10, TimeUnit.SECONDS));
    } finally {
      pool.shutdownNow();
    }
    assertThrows(IllegalArgumentException.class, () -> new RequestQueue(4, Duration.ZERO, System::nanoTime));
  }
}
