package org.iscengine.augment;

import java.util.ArrayList;
import java.util.List;

/**
 * The random source of one augmentation: SplitMix64, so that a seed gives the same draws on every
 * JVM and version. Not thread-safe: one per image. A recording one also keeps the names of the
 * edits applied with it ({@link Compose#named}), so that a benchmark can say which edit made each
 * query; recording draws nothing, so the image is the same either way.
 */
public final class Rng {
  private long state;
  private final List<String> edits;

  public Rng(long seed) {
    this.state = seed;
    this.edits = null;
  }

  private Rng(long seed, List<String> edits) {
    this.state = seed;
    this.edits = edits;
  }

  /** A stream like {@code new Rng(seed)} that records the named edits it drives. */
  public static Rng recording(long seed) {
    return new Rng(seed, new ArrayList<>());
  }

  /** Notes that an edit was applied (nothing when not recording). */
  void record(String edit) {
    if (edits != null) {
      edits.add(edit);
    }
  }

  /** The named edits applied so far, in order; empty when not recording. */
  public List<String> edits() {
    return edits == null ? List.of() : List.copyOf(edits);
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
