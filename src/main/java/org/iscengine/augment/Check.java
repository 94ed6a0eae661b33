package org.iscengine.augment;

/** Parameter checks of the transforms; messages name the parameter and value. */
final class Check {
  private Check() {}

  static void range(String name, double lo, double hi, double min, double max) {
    if (!(lo >= min && hi <= max && lo <= hi)) {
      throw new IllegalArgumentException(
          name + " must satisfy " + min + " <= low <= high <= " + max + ", got [" + lo + ", " + hi + "]");
    }
  }

  static void positive(String name, double v) {
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(name + " must be finite and > 0, got " + v);
    }
  }
}
