package org.iscengine.spark;

import java.io.Serializable;
import java.util.List;
import org.iscengine.extract.Extractor;

/**
 * What one partition's task did, sent back to the driver.
 *
 * @param partition its number
 * @param described images described
 * @param failures images that could not be read: id, file and reason, three strings each
 * @param seconds time the task took
 */
record PartitionReport(int partition, int described, List<String[]> failures, double seconds) implements Serializable {
  private static final long serialVersionUID = 1L;

  static PartitionReport of(int partition, int images, List<Extractor.Failure> failures, double seconds) {
    List<String[]> rows = failures.stream().map(f -> new String[] {f.id(), f.file(), f.reason()}).toList();
    return new PartitionReport(partition, images - failures.size(), rows, seconds);
  }

  List<Extractor.Failure> failureList() {
    return failures.stream().map(f -> new Extractor.Failure(f[0], f[1], f[2])).toList();
  }
}
