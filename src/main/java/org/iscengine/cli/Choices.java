package org.iscengine.cli;

import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.data.MiniDiscBuilder;
import org.iscengine.describe.Preprocess;
import org.iscengine.kernels.Metric;

/**
 * The closed sets of values that options take, each with what it means to the library. Users type
 * them in any case; picocli refuses anything else, naming the choices.
 */
final class Choices {
  private Choices() {}

  /** {@code --resize}: how an image becomes the network's square input. */
  enum Resize {
    SQUARE(Preprocess.Resize.SQUARE),
    CROP(Preprocess.Resize.CENTER_CROP);

    final Preprocess.Resize mode;

    Resize(Preprocess.Resize mode) {
      this.mode = mode;
    }
  }

  /** {@code --precision}: the element type the network runs in. */
  enum Precision {
    FP32(ScalarType.Float),
    FP16(ScalarType.Half),
    BF16(ScalarType.BFloat16);

    final ScalarType dtype;

    Precision(ScalarType dtype) {
      this.dtype = dtype;
    }
  }

  /** {@code --metric}: how descriptors are compared. */
  enum MetricName {
    L2(Metric.L2),
    IP(Metric.INNER_PRODUCT),
    INNER_PRODUCT(Metric.INNER_PRODUCT);

    final Metric metric;

    MetricName(Metric metric) {
      this.metric = metric;
    }
  }

  /** {@code isc data mini-disc --split}: which part of the photo pool the benchmark is made of. */
  enum Split {
    TEST(MiniDiscBuilder.TEST),
    VALIDATION(MiniDiscBuilder.VALIDATION);

    final String id;

    Split(String id) {
      this.id = id;
    }
  }

  /** {@code isc reproduce --preset}: which benchmark (and, for d2lv-mini, the matching track's pipeline on it). */
  enum Benchmark {
    MINI,
    DISC21,
    INSCLR_MINI,
    D2LV_MINI;

    /** As users type it: mini, disc21, insclr-mini, d2lv-mini. */
    @Override
    public String toString() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }
}
