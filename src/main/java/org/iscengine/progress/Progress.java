package org.iscengine.progress;

/** Progress of a long task: steps done out of a total. Implementations are thread-safe. */
public interface Progress extends AutoCloseable {
  /** One more step done. */
  void step();

  /** Ends the display. */
  @Override
  void close();

  /** Starts the progress of tasks. */
  @FunctionalInterface
  interface Factory {
    Progress start(String task, long total);
  }

  /** Shows nothing (library default, tests). */
  static Factory none() {
    return (task, total) -> new Progress() {
      @Override
      public void step() {}

      @Override
      public void close() {}
    };
  }
}
