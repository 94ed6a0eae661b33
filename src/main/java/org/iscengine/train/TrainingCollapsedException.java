package org.iscengine.train;

/** Training stopped because the embeddings of different images became nearly identical. */
public final class TrainingCollapsedException extends RuntimeException {
  public TrainingCollapsedException(String message) {
    super(message);
  }
}
