package org.iscengine.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;
import org.iscengine.describe.ImageParts;
import org.iscengine.describe.Preprocess;
import org.iscengine.extract.ExtractOptions;

/**
 * How each partition is described, as {@code isc extract} takes it; sent to executors.
 *
 * @param batchSize images per forward pass
 * @param workers image decoding threads of each task (its executor core runs the network)
 * @param resize how images become square
 * @param scales input scales summed (test-time augmentation)
 * @param flip also describe the mirrored images
 * @param parts the parts each image is described as (NONE: the image alone)
 */
public record ExtractionSettings(int batchSize, int workers, Preprocess.Resize resize, double[] scales, boolean flip,
    ImageParts.Scheme parts) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Images per resumable part inside one partition: a partition cut short resumes from its last part. */
  static final int PART_SIZE = 1024;

  public ExtractionSettings {
    scales = scales.clone();
    Objects.requireNonNull(resize, "resize");
    Objects.requireNonNull(parts, "parts");
    options(batchSize, workers, resize, scales, flip, parts);  // the same checks as isc extract
  }

  /** The options of the engine's extractor for one partition. */
  public ExtractOptions options() {
    return options(batchSize, workers, resize, scales, flip, parts);
  }

  private static ExtractOptions options(int batchSize, int workers, Preprocess.Resize resize, double[] scales,
      boolean flip, ImageParts.Scheme parts) {
    return new ExtractOptions(batchSize, workers, resize, scales, flip, PART_SIZE, parts);
  }

  @Override
  public double[] scales() {
    return scales.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ExtractionSettings e && batchSize == e.batchSize && workers == e.workers && resize == e.resize
        && Arrays.equals(scales, e.scales) && flip == e.flip && parts == e.parts;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(scales) * 31 + batchSize;
  }

  @Override
  public String toString() {
    return "ExtractionSettings[batchSize=" + batchSize + ", workers=" + workers + ", resize=" + resize + ", scales="
        + Arrays.toString(scales) + ", flip=" + flip + ", parts=" + parts + "]";
  }
}
