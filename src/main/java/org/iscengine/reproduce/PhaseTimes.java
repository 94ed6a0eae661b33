package org.iscengine.reproduce;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The seconds each phase of a reproduction took, in order, for its report's time table. */
final class PhaseTimes {
  private static final Logger log = LoggerFactory.getLogger(PhaseTimes.class);
  private final Map<String, Double> seconds = new LinkedHashMap<>();

  /** Runs a phase, logging its start, and records how long it took. */
  <T> T timed(String phase, Supplier<T> step) {
    long t0 = System.nanoTime();
    log.info("{}...", phase);
    T out = step.get();
    seconds.put(phase, (System.nanoTime() - t0) / 1e9);
    return out;
  }

  /** The phases so far (live, in order). */
  Map<String, Double> seconds() {
    return seconds;
  }
}
