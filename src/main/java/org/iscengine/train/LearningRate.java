package org.iscengine.train;

/** Linear warm-up from 0 to the peak, then cosine, linear or no decay to the last step. */
public final class LearningRate {
  private LearningRate() {}

  /** The learning rate of step (0-based) out of total steps. */
  public static double at(Stage stage, long step, long total) {
    return at(stage.lr(), stage.warmupSteps(), stage.schedule(), step, total);
  }

  /** The same for a peak, a warm-up and a schedule (cosine, linear, constant) given apart from a stage. */
  public static double at(double peak, long warmupSteps, String schedule, long step, long total) {
    long warmup = Math.min(warmupSteps, Math.max(0, total - 1));
    if (step < warmup) {
      return peak * (step + 1) / (warmup + 1);
    }
    double t = total - warmup <= 1 ? 0 : (double) (step - warmup) / (total - warmup - 1);
    t = Math.min(1, Math.max(0, t));
    return switch (schedule) {
      case "cosine" -> peak * 0.5 * (1 + Math.cos(Math.PI * t));
      case "linear" -> peak * (1 - t);
      default -> peak;
    };
  }
}
