package org.iscengine.detect;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntConsumer;
import org.iscengine.errors.IscException;
import org.iscengine.errors.IscException.Kind;

/**
 * Groups concurrent single requests into batches for one worker thread. The worker takes what is
 * waiting as soon as it is free (at most {@code maxBatch}); with a latency budget it also waits up
 * to {@code maxWait} after the first request of a batch for more. Under light load a request runs
 * alone at once; under heavy load requests queue while a batch runs and the next batch is larger,
 * so throughput grows with load and the wait stays bounded by one batch plus the budget.
 *
 * @param <I> a request
 * @param <O> its result
 */
final class MicroBatcher<I, O> implements AutoCloseable {
  private record Pending<I, O>(I input, CompletableFuture<O> result) {}

  private final BlockingQueue<Pending<I, O>> queue;
  private final Function<List<I>, List<O>> process;
  private final int maxBatch;
  private final long maxWaitNanos;
  private final IntConsumer batchSizes;
  private final Thread worker;
  private final Object closing = new Object();
  private volatile boolean closed;

  /**
   * @param name the worker thread's name
   * @param process runs a batch; returns one result per input, in order
   * @param maxBatch largest batch
   * @param maxWait how long a batch may wait for more requests after its first (0: never waits)
   * @param maxQueue requests that may wait; beyond, {@link #submit} refuses (back-pressure)
   * @param batchSizes told the size of every batch run (metrics)
   */
  MicroBatcher(String name, Function<List<I>, List<O>> process, int maxBatch, Duration maxWait, int maxQueue,
      IntConsumer batchSizes) {
    if (maxBatch < 1 || maxQueue < 1 || maxWait.isNegative()) {
      throw new IllegalArgumentException("maxBatch and maxQueue must be >= 1 and maxWait >= 0");
    }
    this.queue = new ArrayBlockingQueue<>(maxQueue);
    this.process = process;
    this.maxBatch = maxBatch;
    this.maxWaitNanos = maxWait.toNanos();
    this.batchSizes = batchSizes;
    this.worker = new Thread(this::run, name);
    worker.setDaemon(true);
    worker.start();
  }

  /**
   * Queues a request; the future completes with its result or its batch's exception.
   *
   * @throws IscException {@link Kind#UNAVAILABLE} once closing has begun
   * @throws RejectedExecutionException when the queue is full
   */
  CompletableFuture<O> submit(I input) {
    CompletableFuture<O> result = new CompletableFuture<>();
    // Under the lock that close takes, so that the worker's last look at the queue sees every request accepted.
    synchronized (closing) {
      if (closed) {
        throw new IscException(Kind.UNAVAILABLE, "shutting down: no new requests");
      }
      if (!queue.offer(new Pending<>(input, result))) {
        throw new RejectedExecutionException("too many requests waiting (" + queue.size() + ")");
      }
    }
    return result;
  }

  /** Requests waiting for the worker. */
  int queued() {
    return queue.size();
  }

  private void run() {
    List<Pending<I, O>> batch = new ArrayList<>(maxBatch);
    while (!closed || !queue.isEmpty()) {
      try {
        Pending<I, O> first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, maxBatch - 1);
        long deadline = System.nanoTime() + maxWaitNanos;
        while (batch.size() < maxBatch && maxWaitNanos > 0) {
          long left = deadline - System.nanoTime();
          Pending<I, O> more = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
          if (more == null) {
            break;
          }
          batch.add(more);
          queue.drainTo(batch, maxBatch - batch.size());
        }
        runBatch(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        batch.forEach(p -> p.result().completeExceptionally(e));
        return;
      } finally {
        batch.clear();
      }
    }
  }

  private void runBatch(List<Pending<I, O>> batch) {
    batchSizes.accept(batch.size());
    List<I> inputs = new ArrayList<>(batch.size());
    batch.forEach(p -> inputs.add(p.input()));
    try {
      List<O> outputs = process.apply(inputs);
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).result().complete(outputs.get(i));
      }
    } catch (RuntimeException | Error e) {
      batch.forEach(p -> p.result().completeExceptionally(e));
    }
  }

  /** Finishes the queued requests, then stops the worker; requests it did not get to fail as unavailable. */
  @Override
  public void close() {
    synchronized (closing) {
      closed = true;
    }
    try {
      worker.join(TimeUnit.MINUTES.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    IscException stopped = new IscException(Kind.UNAVAILABLE, "shut down before this request ran");
    for (Pending<I, O> p; (p = queue.poll()) != null; ) {
      p.result().completeExceptionally(stopped);
    }
  }
}
