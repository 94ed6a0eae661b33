package org.iscengine.kernels;

/**
 * The value and pair statistics of one memory-bank contrastive loss evaluation.
 *
 * @param loss posLoss + negLoss
 * @param posLoss mean of (d - posMargin) over positive pairs where it is > 0 (0 if none)
 * @param negLoss mean of (negMargin - d) over negative pairs where it is > 0 (0 if none)
 * @param activePositives positive pairs with a non-zero term
 * @param activeNegatives negative pairs with a non-zero term
 * @param positivePairs all positive pairs (the item's own bank copy excluded)
 * @param negativePairs all negative pairs
 */
public record ContrastiveStats(
    double loss,
    double posLoss,
    double negLoss,
    long activePositives,
    long activeNegatives,
    long positivePairs,
    long negativePairs) {}
