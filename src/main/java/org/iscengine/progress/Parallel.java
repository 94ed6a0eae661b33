package org.iscengine.progress;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.bytedeco.opencv.global.opencv_core;
import org.iscengine.errors.IscException;

/**
 * Runs indexed tasks (one image each, as the dataset builders and the hashers do) on a pool of
 * threads with a progress bar; a task that throws is recorded, not fatal.
 */
public final class Parallel {
  private Parallel() {}

  /** A task that failed, with the exception's message. */
  public record Failure(int index, String message) {}

  /** Runs body(0) .. body(count - 1) on up to {@code threads} threads; the failed tasks in index order. */
  public static List<Failure> run(String task, int count, int threads, Progress.Factory progress, IntConsumer body) {
    // The work is parallel over images; OpenCV's own threads would only compete.
    opencv_core.setNumThreads(1);
    List<Failure> failures = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger next = new AtomicInteger();
    int workers = Math.max(1, Math.min(threads, count));
    ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
      Thread t = new Thread(r, "isc-parallel");
      t.setDaemon(true);
      return t;
    });
    try (Progress bar = progress.start(task, count)) {
      List<Future<?>> running = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        running.add(pool.submit(() -> {
          for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
            try {
              body.accept(i);
            } catch (RuntimeException e) {
              failures.add(new Failure(i, e.getMessage()));
            }
            bar.step();
          }
        }));
      }
      for (Future<?> f : running) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(task + " was interrupted", e);
    } catch (ExecutionException e) {
      throw new IscException(IscException.Kind.of(e.getCause()), task + " failed: " + e.getCause().getMessage(),
          e.getCause());
    } finally {
      pool.shutdownNow();
    }
    List<Failure> sorted = new ArrayList<>(failures);
    sorted.sort((a, b) -> Integer.compare(a.index(), b.index()));
    return sorted;
  }
}
