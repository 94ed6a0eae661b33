package org.iscengine.extract;

import java.util.Arrays;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.describe.Describer;
import org.iscengine.describe.ImageParts;
import org.iscengine.describe.Preprocess;

/**
 * How extraction runs.
 *
 * @param batchSize images per forward pass
 * @param workers threads decoding and resizing images
 * @param resize how images become square
 * @param scales input sizes as multiples of the model's (1 = its input size); the winner's
 *     multi-scale test uses 1, sqrt(2) and 1/sqrt(2)
 * @param flip also describe the mirrored image; all variants are summed, then L2-normalised
 * @param shardSize images per resumable part (a finished part is kept when a run stops)
 * @param parts the parts each image is described as (multi-part matching); NONE: the image alone
 */
public record ExtractOptions(int batchSize, int workers, Preprocess.Resize resize, double[] scales, boolean flip,
    int shardSize, ImageParts.Scheme parts) {
  public ExtractOptions {
    if (batchSize < 1 || workers < 1 || shardSize < 1) {
      throw new IllegalArgumentException("batch size, workers and shard size must be >= 1");
    }
    Describer.Settings.checkScales(scales);
    scales = scales.clone();
    java.util.Objects.requireNonNull(parts, "parts");
  }

  /** Each image described whole. */
  public ExtractOptions(int batchSize, int workers, Preprocess.Resize resize, double[] scales, boolean flip,
      int shardSize) {
    this(batchSize, workers, resize, scales, flip, shardSize, ImageParts.Scheme.NONE);
  }

  /** Single scale, no flip, square resize; batch 32, all processors decoding, parts of 8192 images. */
  public static ExtractOptions defaults() {
    return new ExtractOptions(32, Math.max(1, Runtime.getRuntime().availableProcessors()), Preprocess.Resize.SQUARE,
        new double[] {1.0}, false, 8192);
  }

  /** The describing settings these options ask for, in this precision (staged in pinned memory on a GPU). */
  public Describer.Settings describing(ScalarType precision) {
    return new Describer.Settings(resize, scales, flip, precision, true);
  }

  @Override
  public double[] scales() {
    return scales.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ExtractOptions e && batchSize == e.batchSize && workers == e.workers && resize == e.resize
        && Arrays.equals(scales, e.scales) && flip == e.flip && shardSize == e.shardSize && parts == e.parts;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(scales) * 31 + batchSize;
  }
}
