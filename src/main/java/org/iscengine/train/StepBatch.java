package org.iscengine.train;

import org.iscengine.augment.Rng;

/**
 * The rows of one InsCLR step: each anchor image, then positivesPerImage of its positives drawn
 * without replacement (further views of the anchor itself when it has fewer). A row's group is
 * its anchor's position in the batch.
 *
 * @param anchors the anchor images
 * @param images the image of every row
 * @param groups the group of every row
 */
record StepBatch(int[] anchors, int[] images, int[] groups) {
  static StepBatch of(int[] anchors, int positivesPerImage, PairSelection selection, Rng rng) {
    int per = 1 + positivesPerImage;
    int[] images = new int[anchors.length * per];
    int[] groups = new int[images.length];
    for (int g = 0; g < anchors.length; g++) {
      int a = anchors[g];
      int[] positives = selection.positives(a);
      rng.shuffle(positives);
      for (int j = 0; j < per; j++) {
        images[g * per + j] = j == 0 || j > positives.length ? a : positives[j - 1];
        groups[g * per + j] = g;
      }
    }
    return new StepBatch(anchors.clone(), images, groups);
  }

  /**
   * The loss's positive and negative masks, row-major [rows, rows + memory]: within the batch, a
   * row's group is positive and other rows relate as their images relate to the row's anchor
   * ({@link PairSelection#relation}); a row with itself is left out; memory rows likewise.
   */
  float[][] masks(int[] memory, PairSelection selection) {
    int rows = images.length;
    int columns = rows + memory.length;
    float[] positive = new float[rows * columns];
    float[] negative = new float[rows * columns];
    for (int r = 0; r < rows; r++) {
      int anchor = anchors[groups[r]];
      for (int c = 0; c < columns; c++) {
        if (c == r) {
          continue;
        }
        PairSelection.Relation relation = c < rows && groups[c] == groups[r] ? PairSelection.Relation.POSITIVE
            : selection.relation(anchor, c < rows ? images[c] : memory[c - rows]);
        if (relation == PairSelection.Relation.POSITIVE) {
          positive[r * columns + c] = 1;
        } else if (relation == PairSelection.Relation.NEGATIVE) {
          negative[r * columns + c] = 1;
        }
      }
    }
    return new float[][] {positive, negative};
  }
}
