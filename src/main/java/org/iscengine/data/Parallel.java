package org.iscengine.data;

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
import org.iscengine.progress.Progress;

/** Runs indexed tasks on a thread pool with progress; a failing task is recorded, not fatal. */
final class Parallel {
  private Parallel() {}

  /** A task that failed, with the exception's message. */
  record Failure(int index, String message) {}

  static List<Failure> run(String task, int count, int threads, Progress.Factory progress, IntConsumer body) {
    // The builders parallelise over images; OpenCV's own threads would only compete.
    opencv_core.setNumThreads(1);
    List<Failure> failures = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
      Thread t = new Thread(r, "isc-build");
      t.setDaemon(true);
      return t;
    });
    try (Progress bar = progress.start(task, count)) {
      List<Future<?>> workers = new ArrayList<>();
      for (int w = 0; w < Math.max(1, threads); w++) {
        workers.add(pool.submit(() -> {
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
      for (Future<?> f : workers) {
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
