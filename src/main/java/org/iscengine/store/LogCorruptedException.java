package org.iscengine.store;

import org.iscengine.errors.IscException;

/** A reference log damaged other than by a torn last write: opening it would drop acknowledged changes. */
public final class LogCorruptedException extends IscException {
  private static final long serialVersionUID = 1L;

  public LogCorruptedException(String message) {
    super(Kind.CORRUPT_DATA, message);
  }
}
