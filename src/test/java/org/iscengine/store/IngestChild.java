package org.iscengine.store;

import java.nio.file.Path;
import java.util.Random;
import org.iscengine.testing.RandomTensors;
import org.iscengine.kernels.Metric;

/**
 * Run in a child JVM by {@link CrashRecoveryTest}: adds references r{start}, r{start+1}, ... to a
 * store as fast as it can and prints "ack N" once add N has returned, until it is killed. With a
 * sixth argument "snapshots", another thread writes snapshots back to back and prints "snapshot"
 * as each begins.
 */
public final class IngestChild {
  private IngestChild() {}

  /** The descriptor of reference i: the same in the child and in the test. */
  static float[] vector(long seed, int i, int dim) {
    return RandomTensors.unitVector(new Random(seed * 1_000_003L + i), dim);
  }

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    int dim = Integer.parseInt(args[1]);
    long seed = Long.parseLong(args[2]);
    int start = Integer.parseInt(args[3]);
    ReferenceStore store = ReferenceStore.open(dir, dim, new ReferenceStore.Options("IDMap2,Flat",
        Metric.INNER_PRODUCT, Long.parseLong(args[4])));
    System.out.println("open " + store.size());
    System.out.flush();
    if (args.length > 5 && args[5].equals("snapshots")) {
      // Snapshots back to back beside the adds, each announced, so the parent can kill inside one.
      Thread snapshots = new Thread(() -> {
        while (true) {
          System.out.println("snapshot");
          System.out.flush();
          store.snapshot();
          try {
            Thread.sleep(5);  // let some adds come between snapshots
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "snapshots");
      snapshots.setDaemon(true);
      snapshots.start();
    }
    for (int i = start; ; i++) {
      store.add("r" + i, vector(seed, i, dim));
      System.out.println("ack " + i);
      System.out.flush();
    }
  }
}
