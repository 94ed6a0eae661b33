package org.iscengine.spark;

import java.io.Serializable;
import java.nio.file.Path;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.extract.Extractor;
import org.iscengine.model.DescriptorNetwork;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.ComputeDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task that describes one partition on an executor: loads the model (once per partition),
 * runs the engine's extractor on the partition's images into a staged descriptor file, then
 * publishes it as the partition's shard. A partition whose shard exists is not described again.
 */
final class PartitionExtraction implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Logger log = LoggerFactory.getLogger(PartitionExtraction.class);

  private final ModelSource model;
  private final ExtractionSettings settings;
  private final String folder;

  PartitionExtraction(ModelSource model, ExtractionSettings settings, Path folder) {
    this.model = model;
    this.settings = settings;
    this.folder = folder.toAbsolutePath().toString();
  }

  PartitionReport run(ImagePartition partition) {
    ShardLayout layout = new ShardLayout(Path.of(folder));
    int p = partition.index();
    long start = System.nanoTime();
    if (layout.isDone(p)) {  // a retried or speculative task after the shard was published
      return PartitionReport.of(p, partition.size(), layout.readFailures(p), 0);
    }
    Extractor.Result result;
    try (DescriptorNetwork network = model.open()) {
      network.moveTo(ComputeDevice.CPU, ScalarType.Float);
      Extractor extractor = new Extractor(network, model.file(), settings.options(), ComputeDevice.CPU,
          ScalarType.Float, Progress.none());
      result = extractor.run(partition.images(), layout.staging(p));
    }
    if (layout.isDone(p)) {  // another attempt of this task published first (a retry that overlapped it)
      return PartitionReport.of(p, partition.size(), layout.readFailures(p), 0);
    }
    layout.publish(p, result.failures());
    TaskFaults.reached("partition " + p + " published");
    double seconds = (System.nanoTime() - start) / 1e9;
    log.info("partition {}: {} images described, {} unreadable, in {} s", p,
        partition.size() - result.failures().size(), result.failures().size(), Math.round(seconds));
    return PartitionReport.of(p, partition.size(), result.failures(), seconds);
  }
}
