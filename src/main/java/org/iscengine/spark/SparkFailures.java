package org.iscengine.spark;

import org.iscengine.errors.IscException;

/**
 * A failed Spark job as the engine reports failures: the first error below Spark's wrappers (the
 * executor's, when Spark kept it) decides the kind and the message; a job that failed in Spark
 * itself (lost executors, a cluster that refused it) is unavailable, not a bug.
 */
final class SparkFailures {
  private SparkFailures() {}

  static RuntimeException explain(Exception failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (!t.getClass().getName().startsWith("org.apache.spark.")) {
        // Spark's messages carry the executor's stack trace: the error itself says it better.
        if (t instanceof RuntimeException r) {
          return r;
        }
        String message = t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getName() : t.getMessage();
        return new IscException(IscException.Kind.of(t), message, t);
      }
    }
    return new IscException(IscException.Kind.UNAVAILABLE, "the Spark job failed: "
        + firstLine(failure.getMessage()), failure);
  }

  private static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse("");
  }
}
