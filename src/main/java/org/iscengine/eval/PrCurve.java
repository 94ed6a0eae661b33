package org.iscengine.eval;

/**
 * Precision and recall after each prediction, best score first, and that prediction's score.
 * Arrays of equal length; recall never decreases.
 */
public record PrCurve(float[] precision, float[] recall, float[] threshold) {
  public int size() {
    return precision.length;
  }

  /**
   * About points entries for plots and JSON: an entry is kept when precision or recall moved by
   * 1/points since the last kept one (so the steep parts keep their detail), and the last one.
   */
  public PrCurve sampled(int points) {
    int n = size();
    if (n <= points) {
      return this;
    }
    double step = 1.0 / points;
    int[] keep = new int[n];
    int kept = 0;
    for (int i = 0; i < n; i++) {
      boolean moved = kept == 0 || i == n - 1
          || Math.abs(recall[i] - recall[keep[kept - 1]]) >= step
          || Math.abs(precision[i] - precision[keep[kept - 1]]) >= step;
      if (moved) {
        keep[kept++] = i;
      }
    }
    float[] p = new float[kept];
    float[] r = new float[kept];
    float[] t = new float[kept];
    for (int i = 0; i < kept; i++) {
      p[i] = precision[keep[i]];
      r[i] = recall[keep[i]];
      t[i] = threshold[keep[i]];
    }
    return new PrCurve(p, r, t);
  }
}
