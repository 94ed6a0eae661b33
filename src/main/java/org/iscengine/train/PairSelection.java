package org.iscengine.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which images InsCLR trains each image against, chosen inside its candidate pool by the
 * similarity s between the two under the previous stage's descriptors:
 * <ul>
 *   <li>s &gt;= the positive threshold: a positive (taken to show the same instance);
 *   <li>s &lt; the negative threshold: a hard negative (similar-looking, yet another instance);
 *   <li>in between: uncertain, left out of the loss, unless the expansion promotes it;
 *   <li>outside the pool (less similar than its k-th candidate): a negative.
 * </ul>
 * The expansion (InsCLR's {@code impr} configuration) promotes uncertain candidates that resemble
 * the positives found so far: in each round, an uncertain candidate's score is the mean of its
 * similarities to the image and its positives that reach {@code expandSimilarity}; the
 * {@code expandPerRound} best-scoring candidates with at least one such similarity become
 * positives. The image itself always counts as its own positive. Immutable.
 */
public final class PairSelection {
  /** How an image relates to an anchor image in the loss. */
  public enum Relation { POSITIVE, IGNORED, NEGATIVE }

  /**
   * The selection's settings.
   *
   * @param positive similarity at or above which a candidate is a positive
   * @param negative similarity below which a candidate is a hard negative (&lt;= positive)
   * @param expandRounds rounds of expansion (0: none, the {@code base} configuration)
   * @param expandSimilarity similarity to a positive that counts towards a candidate's score
   * @param expandPerRound candidates promoted per round
   */
  public record Thresholds(double positive, double negative, int expandRounds, double expandSimilarity,
      int expandPerRound) {
    public Thresholds {
      if (!(positive >= -1 && positive <= 1) || !(negative >= -1 && negative <= positive)) {
        throw new IllegalArgumentException("thresholds need -1 <= negative <= positive <= 1, got positive " + positive
            + ", negative " + negative);
      }
      if (expandRounds < 0 || expandPerRound < 0 || expandRounds > 0 && expandPerRound < 1
          || !(expandSimilarity >= -1 && expandSimilarity <= 1)) {
        throw new IllegalArgumentException("expansion needs rounds >= 0, perRound >= 1 when rounds > 0 and a"
            + " similarity in [-1, 1]; got " + expandRounds + ", " + expandPerRound + ", " + expandSimilarity);
      }
    }

    /** Thresholds without expansion. */
    public static Thresholds of(double positive, double negative) {
      return new Thresholds(positive, negative, 0, 0, 0);
    }
  }

  private final int[][] positives;  // per image, sorted ids
  private final int[][] uncertain;  // per image, sorted ids
  private final int[][] negatives;  // per image, the pool's hard negatives, most similar first

  private PairSelection(int[][] positives, int[][] uncertain, int[][] negatives) {
    this.positives = positives;
    this.uncertain = uncertain;
    this.negatives = negatives;
  }

  /**
   * Selects in every image's pool.
   *
   * @param features the unit descriptors the pool was built from, row-major [images, dim]; read
   *     only by the expansion (may be null without one)
   */
  public static PairSelection of(CandidatePool pool, Thresholds t, float[] features, int dim) {
    if (t.expandRounds() > 0 && (features == null || features.length != (long) pool.images() * dim)) {
      throw new IllegalArgumentException("the expansion needs the pool's features, [" + pool.images() + ", " + dim
          + "]");
    }
    int n = pool.images();
    int[][] positives = new int[n][];
    int[][] uncertain = new int[n][];
    int[][] negatives = new int[n][];
    for (int i = 0; i < n; i++) {
      List<Integer> pos = new ArrayList<>();
      List<Integer> band = new ArrayList<>();
      List<Integer> neg = new ArrayList<>();
      for (int r = 0; r < pool.k(); r++) {
        float s = pool.similarity(i, r);
        int id = pool.id(i, r);
        (s >= t.positive() ? pos : s < t.negative() ? neg : band).add(id);
      }
      if (t.expandRounds() > 0 && !band.isEmpty()) {
        expand(i, pos, band, t, features, dim);
      }
      positives[i] = sorted(pos);
      uncertain[i] = sorted(band);
      negatives[i] = neg.stream().mapToInt(Integer::intValue).toArray();
    }
    return new PairSelection(positives, uncertain, negatives);
  }

  /** Moves the band's candidates that the rounds promote into pos. */
  private static void expand(int image, List<Integer> pos, List<Integer> band, Thresholds t, float[] f, int dim) {
    List<Integer> anchors = new ArrayList<>();
    anchors.add(image);
    anchors.addAll(pos);
    boolean[] taken = new boolean[band.size()];
    for (int round = 0; round < t.expandRounds(); round++) {
      double[] score = new double[band.size()];
      int eligible = 0;
      for (int c = 0; c < band.size(); c++) {
        if (taken[c]) {
          continue;
        }
        double sum = 0;
        int count = 0;
        for (int a : anchors) {
          double s = dot(f, band.get(c), a, dim);
          if (s >= t.expandSimilarity()) {
            sum += s;
            count++;
          }
        }
        if (count > 0) {
          score[c] = sum / count;
          eligible++;
        } else {
          score[c] = Double.NEGATIVE_INFINITY;
        }
      }
      if (eligible == 0) {
        break;
      }
      Integer[] order = new Integer[band.size()];
      for (int c = 0; c < order.length; c++) {
        order[c] = c;
      }
      Arrays.sort(order, (x, y) -> Double.compare(score[y], score[x]));  // stable: the pool's order breaks ties
      int take = Math.min(t.expandPerRound(), eligible);
      for (int j = 0; j < take; j++) {
        taken[order[j]] = true;
        anchors.add(band.get(order[j]));
      }
    }
    List<Integer> rest = new ArrayList<>();
    for (int c = 0; c < band.size(); c++) {
      (taken[c] ? pos : rest).add(band.get(c));
    }
    band.clear();
    band.addAll(rest);
  }

  private static double dot(float[] f, int a, int b, int dim) {
    double s = 0;
    int x = a * dim;
    int y = b * dim;
    for (int d = 0; d < dim; d++) {
      s += (double) f[x + d] * f[y + d];
    }
    return s;
  }

  private static int[] sorted(List<Integer> ids) {
    int[] a = ids.stream().mapToInt(Integer::intValue).toArray();
    Arrays.sort(a);
    return a;
  }

  public int images() {
    return positives.length;
  }

  /** The image's positives (itself not included), ascending. */
  public int[] positives(int image) {
    return positives[image].clone();
  }

  /** The image's uncertain candidates, ascending. */
  public int[] uncertain(int image) {
    return uncertain[image].clone();
  }

  /** The image's hard negatives: its pool's candidates below the negative threshold, most similar first. */
  public int[] negatives(int image) {
    return negatives[image].clone();
  }

  int positiveCount(int image) {
    return positives[image].length;
  }

  int positive(int image, int index) {
    return positives[image][index];
  }

  /** How other relates to anchor: itself or a positive, uncertain (ignored), or a negative. */
  public Relation relation(int anchor, int other) {
    if (other == anchor || Arrays.binarySearch(positives[anchor], other) >= 0) {
      return Relation.POSITIVE;
    }
    return Arrays.binarySearch(uncertain[anchor], other) >= 0 ? Relation.IGNORED : Relation.NEGATIVE;
  }

  /** The mean number of positives per image. */
  public double meanPositives() {
    return Arrays.stream(positives).mapToInt(p -> p.length).average().orElse(0);
  }

  /** The share of images with at least one positive. */
  public double withPositives() {
    return Arrays.stream(positives).filter(p -> p.length > 0).count() / (double) positives.length;
  }
}
