package org.iscengine.testing;

import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Random CPU tensors from a seed, filled from Java so a failing case can be replayed exactly.
 * Tests take a fresh seed per run ({@link #freshSeed()}) and print it on failure; {@code
 * -Disc.test.seed=N} replays a printed seed.
 */
public final class RandomTensors {
  private RandomTensors() {}

  /** A test body given a seed. */
  @FunctionalInterface
  public interface SeededTest {
    void run(long seed) throws Exception;
  }

  /** Runs {@code test} with a fresh seed; an assertion that fails says the seed, to replay it. */
  public static void withFreshSeed(SeededTest test) throws Exception {
    long seed = freshSeed();
    try {
      test.run(seed);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + " [seed " + seed + "]", e);
    }
  }

  public static long freshSeed() {
    String replay = System.getProperty("isc.test.seed");
    if (replay != null) {
      return Long.parseLong(replay);
    }
    return System.nanoTime() ^ Thread.currentThread().getId() * 0x9E3779B97F4A7C15L;
  }

  /**
   * float32 integers uniform in [lo, hi]. Their products and sums are exact in float32, so every
   * implementation computes identical scores, and equal scores (ties) are common.
   */
  public static Tensor integers(long seed, int lo, int hi, long... shape) {
    Random random = new Random(seed);
    Tensor t = torch.empty(shape);
    long n = t.numel();
    float[] values = new float[(int) n];
    for (int i = 0; i < n; i++) {
      values[i] = lo + random.nextInt(hi - lo + 1);
    }
    try (FloatPointer data = new FloatPointer(t.data_ptr())) {
      data.put(values);
    }
    return t;
  }

  /** A random direction: Gaussian values scaled to unit length (float32). */
  public static float[] unitVector(Random random, int dimension) {
    float[] v = new float[dimension];
    double norm = 0;
    for (int i = 0; i < dimension; i++) {
      v[i] = (float) random.nextGaussian();
      norm += v[i] * v[i];
    }
    for (int i = 0; i < dimension; i++) {
      v[i] /= (float) Math.sqrt(norm);
    }
    return v;
  }

  /** float32 values uniform in [lo, hi). */
  public static Tensor uniform(long seed, double lo, double hi, long... shape) {
    Random random = new Random(seed);
    Tensor t = torch.empty(shape);
    long n = t.numel();
    float[] values = new float[(int) Math.min(n, 1 << 20)];
    try (FloatPointer data = new FloatPointer(t.data_ptr())) {
      for (long offset = 0; offset < n; offset += values.length) {
        int count = (int) Math.min(values.length, n - offset);
        for (int i = 0; i < count; i++) {
          values[i] = (float) (lo + (hi - lo) * random.nextDouble());
        }
        data.position(offset).put(values, 0, count);
      }
    }
    return t;
  }
}
