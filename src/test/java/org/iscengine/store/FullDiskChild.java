package org.iscengine.store;

import java.nio.file.Path;
import org.iscengine.errors.IscException;
import org.iscengine.kernels.Metric;

/**
 * Run in a child JVM under a file size limit by {@link ReferenceStoreFailuresTest}: adds
 * references until one fails, prints "ack N" for each that returned, then "refused KIND message"
 * for the failure and "then KIND" for one more try.
 */
public final class FullDiskChild {
  private FullDiskChild() {}

  public static void main(String[] args) {
    int dim = Integer.parseInt(args[1]);
    long seed = Long.parseLong(args[2]);
    try (ReferenceStore store = ReferenceStore.open(Path.of(args[0]), dim,
        new ReferenceStore.Options("exact", Metric.INNER_PRODUCT, 0))) {
      for (int i = 0; ; i++) {
        try {
          store.add("r" + i, IngestChild.vector(seed, i, dim));
        } catch (IscException e) {
          System.out.println("refused " + e.kind() + " " + e.getMessage());
          break;
        }
        System.out.println("ack " + i);
      }
      try {
        store.add("again", IngestChild.vector(seed, -1, dim));
        System.out.println("then accepted");
      } catch (IscException e) {
        System.out.println("then " + e.kind());
      }
      System.out.println("failure " + store.failure().orElse("none"));
    }
    System.out.flush();
  }
}
