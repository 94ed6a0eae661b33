package org.iscengine.store;

/** A reference log damaged other than by a torn last write: opening it would drop acknowledged changes. */
public final class LogCorruptedException extends RuntimeException {
  public LogCorruptedException(String message) {
    super(message);
  }
}
