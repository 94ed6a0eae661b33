package org.iscengine.train;

import org.iscengine.errors.IscException;

/**
 * Training stopped because the embeddings of different images became nearly identical, or the loss
 * diverged: the recipe's settings do not train this model on this data (input, not a bug).
 */
public final class TrainingCollapsedException extends IscException {
  private static final long serialVersionUID = 1L;

  public TrainingCollapsedException(String message) {
    super(Kind.INVALID_INPUT, message);
  }
}
