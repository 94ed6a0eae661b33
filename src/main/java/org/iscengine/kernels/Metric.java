package org.iscengine.kernels;

import org.iscengine.kernels.binding.IscAbi;

/** How two vectors are compared. */
public enum Metric {
  /** q.r, higher is closer; results come highest first. */
  INNER_PRODUCT(IscAbi.METRIC_INNER_PRODUCT),
  /** Squared Euclidean distance, lower is closer; results come lowest first. */
  L2(IscAbi.METRIC_L2);

  final int code;

  Metric(int code) {
    this.code = code;
  }

  /** The metric of a native {@code isc_metric} code. */
  public static Metric ofCode(int code) {
    for (Metric m : values()) {
      if (m.code == code) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown metric code " + code);
  }

  public int code() {
    return code;
  }
}
