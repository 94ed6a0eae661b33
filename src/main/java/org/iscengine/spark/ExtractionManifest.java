package org.iscengine.spark;

import java.util.List;
import org.iscengine.describe.ImageParts;
import org.iscengine.describe.Preprocess;
import org.iscengine.extract.Extractor;

/**
 * What a distributed extraction's folder holds, so that a re-run adds to it only when it would
 * describe the same images the same way. Batch size and decoding threads are left out: they do
 * not change the descriptors.
 */
record ExtractionManifest(String format, int version, String model, String modelSha256, Preprocess.Resize resize,
    double[] scales, boolean flip, ImageParts.Scheme parts, int images, String idsSha256, int partitions) {
  static final String FORMAT = "isc-spark-extraction";

  static ExtractionManifest of(ModelSource model, String modelSha256, ExtractionSettings settings, List<String> ids,
      int partitions) {
    return new ExtractionManifest(FORMAT, 1, model.file(), modelSha256, settings.resize(), settings.scales(),
        settings.flip(), settings.parts(), ids.size(), Extractor.idsSha256(ids), partitions);
  }

  /** Whether both describe the same images the same way into the same partitions. */
  boolean sameWork(ExtractionManifest other) {
    return format.equals(other.format) && version == other.version && modelSha256.equals(other.modelSha256)
        && resize == other.resize && java.util.Arrays.equals(scales, other.scales) && flip == other.flip
        && parts == other.parts && images == other.images && idsSha256.equals(other.idsSha256)
        && partitions == other.partitions;
  }
}
