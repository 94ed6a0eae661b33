package org.iscengine.model;

import org.iscengine.errors.IscException;

/** A checkpoint whose keys or shapes do not fit the model, loaded without allowing a partial load. */
public final class IncompatibleCheckpointException extends IscException {
  private static final long serialVersionUID = 1L;
  private final StateDicts.LoadReport report;

  public IncompatibleCheckpointException(StateDicts.LoadReport report) {
    super(Kind.INVALID_INPUT, "the checkpoint does not fit the model: " + report.describe()
        + ". Nothing was loaded; allow a partial load only if leaving the rest as initialised is intended");
    this.report = report;
  }

  public StateDicts.LoadReport report() {
    return report;
  }
}
