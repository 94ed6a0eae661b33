package org.iscengine.extract;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.describe.Describer;
import org.iscengine.describe.ImageParts;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.image.Images;
import org.iscengine.io.AtomicFile;
import org.iscengine.io.FileTrees;
import org.iscengine.model.DescriptorNetwork;
import org.iscengine.model.ModelConfig;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.runtime.ComputeThreads;
import org.iscengine.runtime.ConvolutionCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batched descriptor extraction: images are decoded and resized by a pool of threads (OpenCV)
 * into a bounded queue; the calling thread forms batches and describes them ({@link Describer}:
 * pinned host memory and an asynchronous copy on a GPU, every scale and flip, summed and
 * L2-normalised). The output is a
 * descriptor file (vectors + image_names, in list order). A bad image is skipped and listed;
 * work is kept in parts ({@code OUT.parts/}) so that an interrupted run resumes where it stopped.
 */
public final class Extractor {
  private static final Logger log = LoggerFactory.getLogger(Extractor.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final DescriptorNetwork model;
  private final String modelName;
  private final ExtractOptions options;
  private final Describer describer;
  private final ScalarType precision;
  private final Progress.Factory progress;

  /** An image that could not be described, and why. */
  public record Failure(String id, String file, String reason) {}

  /** Time spent, in seconds: model forward passes, and the Java side of batching (filling, copying out). */
  public record Timing(double total, double forward, double glue) {
    /** Share of the model thread's time spent outside forward passes. */
    public double glueShare() {
      return forward + glue == 0 ? 0 : glue / (forward + glue);
    }
  }

  /** What a run produced. */
  public record Result(Path out, int described, List<Failure> failures, Timing timing) {
    public double imagesPerSecond() {
      return timing.total() == 0 ? 0 : described / timing.total();
    }
  }

  /** The network must already sit on device, in precision (float32; float16 or bfloat16 on a GPU). */
  public Extractor(DescriptorNetwork model, String modelName, ExtractOptions options, ComputeDevice device,
      ScalarType precision, Progress.Factory progress) {
    this.describer = new Describer(model, device, options.describing(precision), null);
    ComputeThreads.configure();
    if (!device.isCuda()) {
      ConvolutionCheck.require();
    }
    this.model = model;
    this.modelName = modelName;
    this.options = options;
    this.precision = precision;
    this.progress = progress;
  }

  /** The parts folder's manifest: a resumed run must describe the same images the same way. */
  record PartsManifest(String model, ModelConfig config, ExtractOptions options, String precision, int images,
      String idsSha256) {}

  public Result run(ImageList images, Path out) {
    long start = System.nanoTime();
    Path parts = out.resolveSibling(out.getFileName() + ".parts");
    claim(parts, images);
    int shards = (images.size() + options.shardSize() - 1) / options.shardSize();
    double[] timing = new double[2];
    List<Failure> failures = new ArrayList<>();
    int done = 0;
    try (Progress bar = progress.start("describing", images.size())) {
      for (int s = 0; s < shards; s++) {
        int from = s * options.shardSize();
        int to = Math.min(images.size(), from + options.shardSize());
        Path part = parts.resolve(String.format("part-%05d.h5", s));
        Path partFailures = parts.resolve(String.format("part-%05d.failures.json", s));
        if (!Files.exists(part)) {
          shard(images, from, to, part, partFailures, bar, timing);
        } else {
          for (int i = from; i < to; i++) {
            bar.step();
          }
        }
        failures.addAll(readFailures(partFailures));
      }
    }
    List<Path> partFiles = new ArrayList<>();
    for (int s = 0; s < shards; s++) {
      partFiles.add(parts.resolve(String.format("part-%05d.h5", s)));
    }
    done = merge(partFiles, out);
    deleteTree(parts);
    double total = (System.nanoTime() - start) / 1e9;
    return new Result(out, done, failures, new Timing(total, timing[0], timing[1]));
  }

  private void claim(Path parts, ImageList images) {
    try {
      Files.createDirectories(parts);
      byte[] wanted = JSON.writeValueAsBytes(new PartsManifest(modelName, model.config(), options,
          precision.toString(), images.size(), idsSha256(images.ids())));
      Path file = parts.resolve("manifest.json");
      if (Files.exists(file)) {
        if (!Arrays.equals(Files.readAllBytes(file), wanted)) {
          throw new IllegalArgumentException(parts + " holds parts of another extraction (other images, model or"
              + " settings): delete it to start over");
        }
        log.info("resuming the extraction in {}", parts);
        return;
      }
      AtomicFile.write(file, tmp -> Files.write(tmp, wanted));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + parts + ": " + e.getMessage(), e);
    }
  }

  /** One prepared image: the inputs of each of its parts (per variant), or why it failed. */
  private record Prepared(int index, List<float[][]> parts, String error) {}

  private void shard(ImageList images, int from, int to, Path part, Path partFailures, Progress bar, double[] timing) {
    BlockingQueue<Prepared> queue = new ArrayBlockingQueue<>(Math.max(4, 2 * options.batchSize()));
    AtomicInteger next = new AtomicInteger(from);
    ExecutorService decoders = Executors.newFixedThreadPool(options.workers(), r -> {
      Thread t = new Thread(r, "isc-decode");
      t.setDaemon(true);
      return t;
    });
    opencv_core.setNumThreads(1);  // one image per decoding thread
    for (int w = 0; w < options.workers(); w++) {
      decoders.submit(() -> {
        for (int i = next.getAndIncrement(); i < to; i = next.getAndIncrement()) {
          queue.put(prepare(images, i));
        }
        return null;
      });
    }
    int count = to - from;
    float[][][] vectors = new float[count][][];
    List<Failure> failures = new ArrayList<>();
    try {
      List<Prepared> batch = new ArrayList<>();
      for (int received = 0; received < count; received++) {
        Prepared p = queue.poll(10, TimeUnit.MINUTES);
        if (p == null) {
          throw new IllegalStateException("image decoding stalled for 10 minutes");
        }
        if (p.error() != null) {
          failures.add(new Failure(images.ids().get(p.index()), images.files().get(p.index()).toString(), p.error()));
          bar.step();
        } else {
          batch.add(p);
        }
        if (batch.size() == options.batchSize() || (received == count - 1 && !batch.isEmpty())) {
          describe(batch, vectors, from, timing);
          batch.forEach(b -> bar.step());
          batch.clear();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("extraction interrupted", e);
    } finally {
      decoders.shutdownNow();
    }
    writePart(images, from, vectors, part);
    try {
      byte[] json = JSON.writeValueAsBytes(failures);
      AtomicFile.write(partFailures, tmp -> Files.write(tmp, json));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Prepared prepare(ImageList images, int i) {
    List<Mat> parts = List.of();
    try (Mat image = Images.read(images.files().get(i))) {
      parts = ImageParts.cut(image, options.parts());
      List<float[][]> inputs = new ArrayList<>(parts.size());
      for (Mat part : parts) {
        inputs.add(describer.prepare(part));
      }
      return new Prepared(i, inputs, null);
    } catch (RuntimeException e) {
      return new Prepared(i, null, e.getMessage());
    } finally {
      parts.forEach(Mat::close);
    }
  }

  /**
   * Describes one batch of images (all their parts, at most a batch of inputs per forward pass)
   * and stores their descriptors; times the network apart from the rest.
   */
  private void describe(List<Prepared> batch, float[][][] vectors, int from, double[] timing) {
    long t0 = System.nanoTime();
    long[] forward = new long[1];
    List<float[][]> inputs = new ArrayList<>();
    batch.forEach(p -> inputs.addAll(p.parts()));
    List<float[]> rows = new ArrayList<>(inputs.size());
    for (int start = 0; start < inputs.size(); start += options.batchSize()) {
      List<float[][]> pass = inputs.subList(start, Math.min(inputs.size(), start + options.batchSize()));
      rows.addAll(java.util.Arrays.asList(describer.describe(pass, nanos -> forward[0] += nanos)));
    }
    int row = 0;
    for (Prepared p : batch) {
      float[][] parts = new float[p.parts().size()][];
      for (int k = 0; k < parts.length; k++) {
        parts[k] = rows.get(row++);
      }
      vectors[p.index() - from] = parts;
    }
    long total = System.nanoTime() - t0;
    timing[0] += forward[0] / 1e9;
    timing[1] += (total - forward[0]) / 1e9;
  }

  private void writePart(ImageList images, int from, float[][][] vectors, Path part) {
    List<String> ids = new ArrayList<>();
    List<float[]> rows = new ArrayList<>();
    for (int i = 0; i < vectors.length; i++) {
      if (vectors[i] != null) {
        String id = images.ids().get(from + i);
        for (int k = 0; k < vectors[i].length; k++) {
          ids.add(options.parts() == ImageParts.Scheme.NONE ? id : ImageParts.partId(id, k));
          rows.add(vectors[i][k]);
        }
      }
    }
    int d = rows.isEmpty() ? model.dimension() : rows.get(0).length;
    try (Descriptors part2 = Descriptors.of(ids, rows, Math.max(1, d))) {
      DescriptorFiles.write(part, part2);
    }
  }

  private static int merge(List<Path> parts, Path out) {
    try (Descriptors all = DescriptorFiles.read(parts)) {
      DescriptorFiles.write(out, all);
      return all.size();
    }
  }

  private static List<Failure> readFailures(Path file) {
    try {
      return Files.exists(file) ? List.of(JSON.readValue(file.toFile(), Failure[].class)) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The SHA-256 of the ids, one per line: what a run was made of, to tell whether output still matches. */
  public static String idsSha256(List<String> ids) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String id : ids) {
        md.update(id.getBytes(StandardCharsets.UTF_8));
        md.update((byte) '\n');
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path dir) {
    try {
      FileTrees.delete(dir);
    } catch (IOException e) {
      log.warn("could not remove {}: {}", dir, e.getMessage());
    }
  }
}
