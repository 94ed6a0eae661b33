package org.iscengine.spark;

import org.iscengine.errors.IscException;

/**
 * A failed Spark job as the engine reports failures: the first error below Spark's wrappers (the
 * engine's own, thrown on an executor when Spark kept it as the cause) decides the kind and the
 * message; a job that failed in Spark itself (lost executors, a cluster that removed the
 * application, a stopped context) is unavailable, not a bug.
 */
final class SparkFailures {
  private SparkFailures() {}

  static RuntimeException explain(Exception failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (!thrownBySpark(t)) {
        if (t instanceof RuntimeException r) {
          return r;
        }
        // Spark's messages carry the executor's stack trace: the error itself says it better.
        String message = t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getName() : t.getMessage();
        return new IscException(IscException.Kind.of(t), message, t);
      }
    }
    return new IscException(IscException.Kind.UNAVAILABLE, "the Spark job failed: " + firstLine(failure.getMessage()),
        failure);
  }

  /** A Spark exception, or a JDK one that Spark's own code threw. */
  private static boolean thrownBySpark(Throwable t) {
    if (t.getClass().getName().startsWith("org.apache.spark.")) {
      return true;
    }
    StackTraceElement[] trace = t.getStackTrace();
    return trace.length > 0 && (trace[0].getClassName().startsWith("org.apache.spark.")
        || trace[0].getClassName().startsWith("scala."));
  }

  private static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse("");
  }
}
