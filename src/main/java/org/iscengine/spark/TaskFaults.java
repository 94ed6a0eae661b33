package org.iscengine.spark;

import java.util.function.Consumer;

/**
 * Where a test makes a task fail, to see Spark retry it: the tasks report named points (a
 * partition published, a shard searched, a shard's sums made) and a test's hook may throw there.
 * Without a hook nothing happens. The hook lives in this process: it reaches the tasks of a local
 * master, whose executors run here, which is where tests run them.
 */
final class TaskFaults {
  private static volatile Consumer<String> hook = point -> {};

  private TaskFaults() {}

  /** Runs the hook at every point reached from now on (null: none). */
  static void set(Consumer<String> newHook) {
    hook = newHook == null ? point -> {} : newHook;
  }

  static void reached(String point) {
    hook.accept(point);
  }
}
