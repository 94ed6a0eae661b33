package org.iscengine.eval;

/**
 * The ISC21 metrics (shared/ANCHORS.md, section 3).
 *
 * @param microAveragePrecision μAP: sum over true positives of the precision at their rank,
 *     divided by the number of ground-truth matches
 * @param recallAtP90 the largest recall of a prefix with precision &ge; 0.9; null if none
 * @param thresholdAtP90 the score at that prefix; null if none
 * @param recallAtRank1 share of ground-truth matches ranked first among their query's predictions
 * @param recallAtRank10 ... within the first ten
 * @param groundTruthMatches the denominator
 * @param predictions rows evaluated
 * @param truePositives rows that are ground-truth matches
 * @param ignored rows of queries absent from the ground truth (not evaluated)
 */
public record IscMetrics(
    double microAveragePrecision,
    Double recallAtP90,
    Double thresholdAtP90,
    double recallAtRank1,
    double recallAtRank10,
    int groundTruthMatches,
    int predictions,
    int truePositives,
    int ignored) {}
