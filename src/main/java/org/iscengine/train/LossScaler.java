package org.iscengine.train;

/**
 * Dynamic loss scaling for float16 training, with PyTorch's GradScaler defaults: the loss
 * gradient is multiplied by the scale so that small gradients do not flush to zero in float16;
 * gradients are divided by it before clipping and the update. A step whose gradients are not
 * finite is skipped and the scale halved; after {@link #INTERVAL} good steps in a row it doubles.
 */
final class LossScaler {
  static final double INITIAL = 65536.0;
  static final int INTERVAL = 2000;

  private double scale;
  private int goodSteps;

  /** A scaler in a given state (a checkpoint's), or the initial one for scale 0. */
  LossScaler(double scale, int goodSteps) {
    if (!(scale >= 0) || Double.isInfinite(scale) || goodSteps < 0) {
      throw new IllegalArgumentException("loss scale must be finite and >= 0 and good steps >= 0, got " + scale
          + " / " + goodSteps);
    }
    this.scale = scale == 0 ? INITIAL : scale;
    this.goodSteps = goodSteps;
  }

  double scale() {
    return scale;
  }

  int goodSteps() {
    return goodSteps;
  }

  /** Divides the gradients by the scale. */
  void unscale(Sgd sgd) {
    sgd.scaleGradients(1.0 / scale);
  }

  /**
   * Updates the scale from the unscaled gradients' global norm, which is finite exactly when every
   * gradient is (the norm clipping computes anyway: no second pass over the gradients).
   *
   * @return whether the step may be taken
   */
  boolean update(double gradNorm) {
    boolean finite = Double.isFinite(gradNorm);
    if (!finite) {
      scale = Math.max(scale / 2, 1.0);
      goodSteps = 0;
    } else if (++goodSteps == INTERVAL) {
      scale *= 2;
      goodSteps = 0;
    }
    return finite;
  }
}
