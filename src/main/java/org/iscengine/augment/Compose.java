package org.iscengine.augment;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;

/** Combinators of transforms: in sequence, with a probability, one of several, in random order. */
public final class Compose {
  private Compose() {}

  /** Each transform in turn. */
  public static Transform sequence(List<Transform> steps) {
    List<Transform> copy = List.copyOf(steps);
    return (image, rng, res) -> run(copy, image, rng, res);
  }

  public static Transform sequence(Transform... steps) {
    return sequence(List.of(steps));
  }

  /** The transform under a name, recorded by a recording {@link Rng} each time it runs. */
  public static Transform named(String name, Transform t) {
    return (image, rng, res) -> {
      rng.record(name);
      return t.apply(image, rng, res);
    };
  }

  /** The transform with probability p, else the image unchanged. */
  public static Transform maybe(double p, Transform t) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("probability must be in [0, 1], got " + p);
    }
    return (image, rng, res) -> rng.chance(p) ? t.apply(image, rng, res) : image;
  }

  /** One of the transforms, drawn with the given weights. */
  public static Transform oneOf(List<Transform> options, double[] weights) {
    if (options.isEmpty() || options.size() != weights.length) {
      throw new IllegalArgumentException("oneOf needs as many weights as options, and at least one");
    }
    double total = 0;
    for (double w : weights) {
      if (!(w >= 0)) {
        throw new IllegalArgumentException("weights must be >= 0");
      }
      total += w;
    }
    if (!(total > 0)) {
      throw new IllegalArgumentException("weights must not all be 0");
    }
    List<Transform> copy = List.copyOf(options);
    double[] cumulative = new double[weights.length];
    double sum = 0;
    for (int i = 0; i < weights.length; i++) {
      sum += weights[i] / total;
      cumulative[i] = sum;
    }
    return (image, rng, res) -> {
      double u = rng.nextDouble();
      for (int i = 0; i < cumulative.length - 1; i++) {
        if (u < cumulative[i]) {
          return copy.get(i).apply(image, rng, res);
        }
      }
      return copy.get(copy.size() - 1).apply(image, rng, res);
    };
  }

  /** One of the transforms, each as likely. */
  public static Transform oneOf(Transform... options) {
    double[] weights = new double[options.length];
    java.util.Arrays.fill(weights, 1.0);
    return oneOf(List.of(options), weights);
  }

  /** All the transforms, in a random order. */
  public static Transform shuffled(List<Transform> steps) {
    List<Transform> copy = List.copyOf(steps);
    return (image, rng, res) -> {
      List<Transform> order = new ArrayList<>(copy);
      for (int i = order.size() - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        Transform t = order.get(i);
        order.set(i, order.get(j));
        order.set(j, t);
      }
      return run(order, image, rng, res);
    };
  }

  private static Mat run(List<Transform> steps, Mat image, Rng rng, Resources res) {
    Mat current = image;
    try {
      for (Transform step : steps) {
        Mat next = step.apply(current, rng, res);
        if (next != current && current != image) {
          current.close();
        }
        current = next;
      }
      return current;
    } catch (RuntimeException e) {
      if (current != image) {
        current.close();
      }
      throw e;
    }
  }
}
