package org.iscengine.augment;

/**
 * The random source of one augmentation: SplitMix64, so that a seed gives the same draws on every
 * JVM and version. Not thread-safe: one per image.
 */
public final class Rng {
  private long state;

  public Rng(long seed) {
    this.state = seed;
  }

  /** An independent stream for the given key (for example an image index). */
  public static Rng of(long seed, long key) {
    return new Rng(mix(seed ^ mix(key + 0x632BE59BD9B4E019L)));
  }

  public long nextLong() {
    state += 0x9E3779B97F4A7C15L;
    return mix(state);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Uniform in [0, 1). */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Uniform in [lo, hi). */
  public double uniform(double lo, double hi) {
    return lo + (hi - lo) * nextDouble();
  }

  /** Uniform in [0, bound). */
  public int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be > 0, got " + bound);
    }
    return (int) ((nextLong() >>> 1) % bound);
  }

  /** Uniform in [lo, hi], both included. */
  public int between(int lo, int hi) {
    return lo + nextInt(hi - lo + 1);
  }

  /** True with probability p. */
  public boolean chance(double p) {
    return nextDouble() < p;
  }

  /** Shuffles a in place (Fisher-Yates, from the last element down). */
  public void shuffle(int[] a) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** 0 .. n-1 in a random order. */
  public int[] permutation(int n) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    shuffle(a);
    return a;
  }

  /** Standard normal (Box-Muller). */
  public double gaussian() {
    double u = Math.max(nextDouble(), 1e-300);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * nextDouble());
  }
}
