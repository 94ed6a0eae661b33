package org.iscengine.spark;

import org.apache.spark.sql.SparkSession;

/**
 * The Spark session a job runs in: one already running in this process (a test's, an
 * application's), else a new one on the master spark-submit set, else a new one on the master
 * named, by default an embedded {@code local[*]} (every core of this machine, driver and
 * executors in this process).
 */
public final class SparkSessions {
  /** The embedded session's master. */
  public static final String LOCAL = "local[*]";

  private SparkSessions() {}

  /** A session, and whether closing the lease stops it (only one this lease started). */
  public record Lease(SparkSession session, boolean started) implements AutoCloseable {
    @Override
    public void close() {
      if (started) {
        session.stop();
      }
    }
  }

  /**
   * @param master where a new session runs (null: spark-submit's, else {@link #LOCAL})
   * @param conf Spark settings of a new session, applied last
   */
  public static Lease open(String master, String appName, java.util.Map<String, String> conf) {
    if (SparkSession.getActiveSession().isDefined()) {
      return new Lease(SparkSession.getActiveSession().get(), false);
    }
    if (SparkSession.getDefaultSession().isDefined()) {
      return new Lease(SparkSession.getDefaultSession().get(), false);
    }
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    String submitted = System.getProperty("spark.master");
    String m = master != null ? master : submitted != null ? submitted : LOCAL;
    builder.master(m);
    if (m.startsWith("local")) {
      // One process on this machine: no web UI to bind a port for, no host name to resolve.
      builder.config("spark.ui.enabled", "false")
          .config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1");
    }
    conf.forEach(builder::config);
    return new Lease(builder.getOrCreate(), true);
  }
}
