package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.kernels.HostTensors;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;

class CandidatePoolTest {
  /** Every image's k most similar others, similarity descending, then lower id: the definition, in float64. */
  private static int[][] bruteForce(float[] f, int n, int d, int k) {
    int[][] out = new int[n][];
    for (int i = 0; i < n; i++) {
      double[] s = new double[n];
      for (int j = 0; j < n; j++) {
        for (int c = 0; c < d; c++) {
          s[j] += (double) f[i * d + c] * f[j * d + c];
        }
      }
      int self = i;
      out[i] = java.util.stream.IntStream.range(0, n).filter(j -> j != self).boxed()
          .sorted(Comparator.<Integer>comparingDouble(j -> -s[j]).thenComparingInt(j -> j))
          .limit(k).mapToInt(Integer::intValue).toArray();
    }
    return out;
  }

  @Test
  void matchesBruteForceOnSmallIntegerDescriptorsFullOfTiesAndDuplicates() throws Exception {
    RandomTensors.withFreshSeed(seed -> {
      Random random = new Random(seed);
      for (int trial = 0; trial < 6; trial++) {
        int n = 3 + 2 * random.nextInt(40);  // odd sizes
        int d = 1 + 2 * random.nextInt(5);
        int k = 1 + random.nextInt(n - 1);
        float[] f;
        try (Tensor t = RandomTensors.integers(seed + trial, -2, 2, n, d)) {
          f = HostTensors.toArray(t);
        }
        for (int dup = 0; dup < n / 4; dup++) {  // exact duplicates: an image ties with its copies
          int from = random.nextInt(n);
          int to = random.nextInt(n);
          System.arraycopy(f, from * d, f, to * d, d);
        }
        f[random.nextInt(f.length)] = 3;  // never an all-zero matrix
        CandidatePool pool;
        try (Tensor t = HostTensors.tensor(f, n, d)) {
          pool = CandidatePool.of(t, k, ComputeDevice.CPU);
        }
        int[][] expected = bruteForce(f, n, d, k);
        for (int i = 0; i < n; i++) {
          int[] got = new int[k];
          for (int r = 0; r < k; r++) {
            got[r] = pool.id(i, r);
            double s = 0;
            for (int c = 0; c < d; c++) {
              s += (double) f[i * d + c] * f[got[r] * d + c];
            }
            assertEquals(s, pool.similarity(i, r), 0.0, "similarity of image " + i + " rank " + r);
          }
          assertEquals(Arrays.toString(expected[i]), Arrays.toString(got), "pool of image " + i + " (n " + n + ", d "
              + d + ", k " + k + ")");
        }
      }
    });
  }

  @Test
  void anImageIsNeverItsOwnCandidateEvenAmongItsDuplicates() {
    int n = 7;
    float[] f = new float[n * 3];
    for (int i = 0; i < n; i++) {
      f[i * 3] = 1;  // seven identical unit vectors: all similarities tie at 1
    }
    try (Tensor t = HostTensors.tensor(f, n, 3)) {
      CandidatePool pool = CandidatePool.of(t, 3, ComputeDevice.CPU);
      for (int i = 0; i < n; i++) {
        for (int r = 0; r < 3; r++) {
          assertTrue(pool.id(i, r) != i, "image " + i + " in its own pool");
        }
      }
      assertEquals(List.of(0, 1, 2), List.of(pool.id(6, 0), pool.id(6, 1), pool.id(6, 2)));
      assertEquals(List.of(1, 2, 3), List.of(pool.id(0, 0), pool.id(0, 1), pool.id(0, 2)));
    }
  }

  @Test
  void aPoolAsLargeAsTheDataIsRefusedNamingK() {
    long seed = RandomTensors.freshSeed();
    try (Tensor t = RandomTensors.uniform(seed, -1, 1, 5, 4)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> CandidatePool.of(t, 5, ComputeDevice.CPU));
      assertTrue(e.getMessage().contains("k must be in [1, 4]"), e.getMessage());
    }
  }
}
