package org.iscengine.train;

import java.util.ArrayList;
import java.util.List;
import org.iscengine.augment.Rng;

/**
 * P x K sampling for metric learning: each batch holds P distinct classes and K members of each
 * (drawn without repeats while a class has enough, with repeats when it has fewer), classes
 * taken in a shuffled order so that every class comes once per epoch. Deterministic for a seed.
 */
public final class PkSampler {
  /** One member of a batch: its class and its index among the class's members. */
  public record Draw(int label, int member) {}

  private final int[] members;
  private final int classesPerBatch;
  private final int perClass;
  private final Rng rng;
  private int[] order;
  private int next;

  /**
   * @param members number of members of each class
   * @param classesPerBatch P (at most the number of classes)
   * @param perClass K
   */
  public PkSampler(int[] members, int classesPerBatch, int perClass, long seed) {
    if (members.length < 2 || classesPerBatch < 2 || classesPerBatch > members.length || perClass < 1) {
      throw new IllegalArgumentException("P x K sampling needs 2 <= P <= classes and K >= 1; got P " + classesPerBatch
          + ", K " + perClass + " over " + members.length + " classes");
    }
    for (int c = 0; c < members.length; c++) {
      if (members[c] < 1) {
        throw new IllegalArgumentException("class " + c + " has no member");
      }
    }
    this.members = members.clone();
    this.classesPerBatch = classesPerBatch;
    this.perClass = perClass;
    this.rng = new Rng(seed);
    this.order = rng.permutation(members.length);
  }

  /** The next batch: P classes, K members each, class by class. */
  public List<Draw> next() {
    if (next + classesPerBatch > order.length) {  // the classes left would not fill a batch: a new epoch
      order = rng.permutation(members.length);
      next = 0;
    }
    List<Draw> batch = new ArrayList<>(classesPerBatch * perClass);
    for (int i = 0; i < classesPerBatch; i++) {
      int c = order[next++];
      int[] pick = rng.permutation(members[c]);
      for (int k = 0; k < perClass; k++) {
        batch.add(new Draw(c, k < pick.length ? pick[k] : rng.nextInt(members[c])));
      }
    }
    return batch;
  }
}
