package org.iscengine.server;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The requests waiting for a request thread, served first in, first out while the queue moves and
 * last in, first out once it is congested (its oldest request has waited more than a quarter of
 * the budget): after a burst, a client that sends one request at a time is served next instead
 * of behind the whole burst, and the burst's oldest requests, which waited past the budget, are
 * answered 503 when their turn comes rather than computed for a client that was kept waiting
 * anyway. Without congestion nothing changes: requests go in order and none is refused.
 */
final class RequestQueue extends LinkedBlockingDeque<Runnable> {
  private final long budgetNanos;
  private final LongSupplier clock;

  /** A queued request: its work, and how it is refused when it waited past the budget. */
  final class Entry implements Runnable {
    private final long queuedAt = clock.getAsLong();
    private final Runnable work;
    private final Runnable refuse;

    private Entry(Runnable work, Runnable refuse) {
      this.work = work;
      this.refuse = refuse;
    }

    long waitedNanos() {
      return clock.getAsLong() - queuedAt;
    }

    @Override
    public void run() {
      if (waitedNanos() > budgetNanos) {
        refuse.run();
      } else {
        work.run();
      }
    }
  }

  RequestQueue(int capacity, Duration budget, LongSupplier clock) {
    super(capacity);
    if (budget.isNegative() || budget.isZero()) {
      throw new IllegalArgumentException("the queue's wait budget must be positive, got " + budget);
    }
    this.budgetNanos = budget.toNanos();
    this.clock = clock;
  }

  /** The entry to hand to the executor for this request. */
  Entry entry(Runnable work, Runnable refuse) {
    return new Entry(work, refuse);
  }

  /** Whether the oldest request has waited more than a quarter of the budget. */
  boolean congested() {
    return peekFirst() instanceof Entry oldest && oldest.waitedNanos() > budgetNanos / 4;
  }

  // The executor's threads wait in take() or poll(timeout); both pick the end by congestion.
  @Override
  public Runnable take() throws InterruptedException {
    Runnable next = pollNow();
    return next != null ? next : super.take();
  }

  @Override
  public Runnable poll(long timeout, TimeUnit unit) throws InterruptedException {
    Runnable next = pollNow();
    return next != null ? next : super.poll(timeout, unit);
  }

  @Override
  public Runnable poll() {
    return pollNow();
  }

  private Runnable pollNow() {
    return congested() ? pollLast() : pollFirst();
  }
}
