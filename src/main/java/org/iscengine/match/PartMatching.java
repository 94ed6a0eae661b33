package org.iscengine.match;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.iscengine.describe.ImageParts;

/**
 * Multi-part matching: predictions between parts ({@code ID#k}, see {@link ImageParts}) folded into
 * predictions between images, each pair scoring as its best part-to-part match.
 */
public final class PartMatching {
  /** What parts cost: the rows searched per image on each side, their product the factor on search time. */
  public record Cost(double queryParts, double referenceParts) {
    public double searchFactor() {
      return queryParts * referenceParts;
    }
  }

  private PartMatching() {}

  /** Image pairs with their best part score, best first, at most maxResults (0: all). */
  public static Predictions fold(Predictions parts, int maxResults) {
    PairTable best = new PairTable(1);
    for (int i = 0; i < parts.size(); i++) {
      double[] v = best.pair(ImageParts.imageId(parts.queryId(i)), ImageParts.imageId(parts.referenceId(i)),
          Double.NEGATIVE_INFINITY);
      v[0] = Math.max(v[0], parts.score(i));
    }
    return best.predictions(v -> v[0], maxResults);
  }

  /** Parts per image of two id lists. */
  public static Cost cost(List<String> queryIds, List<String> referenceIds) {
    return new Cost(perImage(queryIds), perImage(referenceIds));
  }

  private static double perImage(List<String> ids) {
    Set<String> images = new HashSet<>();
    ids.forEach(id -> images.add(ImageParts.imageId(id)));
    return images.isEmpty() ? 0 : (double) ids.size() / images.size();
  }
}
