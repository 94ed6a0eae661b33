package org.iscengine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import org.apache.spark.SparkException;
import org.iscengine.errors.IscException;
import org.junit.jupiter.api.Test;

/** How a failed job is reported: the engine's error when Spark kept it, else "unavailable". */
class SparkFailuresTest {
  @Test
  void anExecutorsErrorKeptAsTheCauseIsReportedItself() {
    IllegalArgumentException bad = new IllegalArgumentException("x.h5: 3 dimensions, the queries have 4");
    SparkException job = new SparkException("Job aborted due to stage failure: ...\n\tat ...", bad);
    assertSame(bad, SparkFailures.explain(job));
  }

  @Test
  void aCheckedErrorBecomesAnIscExceptionOfItsKind() {
    IOException disk = new IOException("no space left on device");
    RuntimeException explained = SparkFailures.explain(new SparkException("Job aborted", disk));
    assertEquals(IscException.Kind.UNAVAILABLE, IscException.Kind.of(explained));
    assertEquals("no space left on device", explained.getMessage());
  }

  @Test
  void sparksOwnFailuresAreUnavailableWithTheirFirstLine() {
    IllegalStateException stopped = new IllegalStateException("Cannot call methods on a stopped SparkContext.\nmore");
    stopped.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("org.apache.spark.SparkContext", "assertNotStopped", "SparkContext.scala", 1)});
    RuntimeException explained = SparkFailures.explain(stopped);
    assertEquals(IscException.Kind.UNAVAILABLE, IscException.Kind.of(explained));
    assertEquals("the Spark job failed: Cannot call methods on a stopped SparkContext.", explained.getMessage());
    RuntimeException removed = SparkFailures.explain(new SparkException("Master removed our application: FAILED"));
    assertEquals(IscException.Kind.UNAVAILABLE, IscException.Kind.of(removed));
  }
}
