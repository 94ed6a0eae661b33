package org.iscengine.detect;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.IntConsumer;
import java.util.function.ObjLongConsumer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.describe.Describer;
import org.iscengine.describe.Preprocess;
import org.iscengine.descriptor.Pca;
import org.iscengine.descriptor.ScoreNormalization;
import org.iscengine.image.Images;
import org.iscengine.kernels.HostTensors;
import org.iscengine.model.DescriptorNetwork;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.runtime.ComputeThreads;
import org.iscengine.runtime.ConvolutionCheck;
import org.iscengine.store.ReferenceStore;

/**
 * The embeddable copy detector: "is this image a copy of one of our references?"
 *
 * <p>A descriptor network, an optional post-processing chain (PCA-whitening, then L2; score
 * normalization against a bank of negative descriptors) and a durable {@link ReferenceStore}.
 * Images are decoded and resized on the calling thread; the network runs on one worker that
 * groups concurrent requests into micro-batches ({@link MicroBatcher}). Thread-safe; closing
 * finishes queued requests and closes the store (which snapshots and syncs).
 *
 * <p>Scores are inner products of L2-normalised descriptors (with score normalization, minus the
 * query's mean similarity to its nearest negatives). {@link #defaultThreshold()} is the threshold
 * {@link #match(byte[], int)} calls a copy at.
 */
public final class CopyDetector implements AutoCloseable {
  /** One match: a reference and its score. */
  public record Match(String id, float score) {}

  /** The stages a request goes through, timed for {@link Builder#onStageTime}. */
  public enum Stage {
    /** Decoding and resizing one image, on the calling thread. */
    DECODE,
    /** One micro-batch through the network and the post-processing, on the detector's worker. */
    NETWORK,
    /** One search of the reference index (all queries of a call). */
    SEARCH
  }

  /** The matches of one image, best first, and whether the best reaches the threshold. */
  public record Matches(List<Match> matches, double threshold) {
    public boolean isCopy() {
      return !matches.isEmpty() && matches.get(0).score() >= threshold;
    }
  }

  private final DescriptorNetwork network;
  private final Describer describer;
  private final Pca pca;
  private final ScoreNormalization scoreNormalization;
  private final Tensor negatives;
  private final ReferenceStore store;
  private final MicroBatcher<float[][], float[]> batcher;
  private final int maxImageSide;
  private final double defaultThreshold;
  private final int descriptorDimension;
  private final ObjLongConsumer<Stage> stageTimes;

  private CopyDetector(Builder b, Describer describer, ReferenceStore store, int descriptorDimension) {
    this.network = b.network;
    this.describer = describer;
    this.pca = b.pca;
    this.scoreNormalization = b.scoreNormalization;
    this.negatives = b.negatives;
    this.store = store;
    this.maxImageSide = b.maxImageSide;
    this.defaultThreshold = b.threshold;
    this.descriptorDimension = descriptorDimension;
    this.stageTimes = b.stageTimes;
    this.batcher = new MicroBatcher<>("isc-detector", this::describeBatch, b.maxBatch, b.maxWait, b.maxQueue,
        b.batchSizes);
  }

  /** A builder around a network; the detector owns (and closes) the network, PCA and negatives. */
  public static Builder builder(DescriptorNetwork network) {
    return new Builder(network);
  }

  /** Builds a detector. */
  public static final class Builder {
    private final DescriptorNetwork network;
    private ComputeDevice device = ComputeDevice.CPU;
    private Pca pca;
    private ScoreNormalization scoreNormalization;
    private Tensor negatives;
    private Path storeDir;
    private ReferenceStore.Options storeOptions = ReferenceStore.Options.defaults();
    private ReferenceStore openedStore;
    private int maxBatch = 16;
    private Duration maxWait = Duration.ZERO;
    private int maxQueue = 256;
    private Describer.Settings describing = Describer.Settings.single(Preprocess.Resize.SQUARE);
    private int maxImageSide = Images.DEFAULT_MAX_SIDE;
    private double threshold = 0.5;
    private IntConsumer batchSizes = n -> { };
    private ObjLongConsumer<Stage> stageTimes = (stage, nanos) -> { };

    private Builder(DescriptorNetwork network) {
      this.network = network;
    }

    public Builder device(ComputeDevice value) {
      device = value;
      return this;
    }

    /** PCA(-whitening) applied to every descriptor, followed by L2 normalisation. */
    public Builder pca(Pca value) {
      pca = value;
      return this;
    }

    /** Score normalization of queries against negative descriptors [n, d] (post-processed like queries). */
    public Builder scoreNormalization(ScoreNormalization value, Tensor negativeDescriptors) {
      scoreNormalization = value;
      negatives = negativeDescriptors;
      return this;
    }

    /** Where references are kept (required), and how they are indexed. */
    public Builder store(Path dir, ReferenceStore.Options options) {
      storeDir = dir;
      storeOptions = options;
      openedStore = null;
      return this;
    }

    /**
     * A reference store the caller opened, instead of a folder: its dimension must be the stored
     * descriptors' (one more with score normalization). The built detector closes it.
     */
    public Builder store(ReferenceStore opened) {
      openedStore = opened;
      storeDir = null;
      return this;
    }

    /** Largest micro-batch, and how long a batch may wait for more requests (the latency budget). */
    public Builder batching(int maxBatchSize, Duration maxBatchWait, int maxQueued) {
      maxBatch = maxBatchSize;
      maxWait = maxBatchWait;
      maxQueue = maxQueued;
      return this;
    }

    public Builder resize(Preprocess.Resize value) {
      describing = new Describer.Settings(value, describing.scales(), describing.flip(), describing.precision(),
          describing.pinned());
      return this;
    }

    /**
     * How images are described (default: one square view, float32, no pinned staging); the
     * network is moved to the settings' precision (float16 or bfloat16 need a CUDA device).
     */
    public Builder describing(Describer.Settings value) {
      describing = value;
      return this;
    }

    /** Larger images are decoded at a reduced size (OpenCV's reduced decoding) or scaled down. */
    public Builder maxImageSide(int value) {
      maxImageSide = value;
      return this;
    }

    /**
     * The score from which {@link Matches#isCopy()} says copy (default 0.5). Calibrate it per
     * model: {@code isc reproduce} reports each system's score at 90 % precision
     * ({@code thresholdAtP90}); for the mini recipe's MobileNetV2 model it was 0.505 on mini-DISC.
     */
    public Builder threshold(double value) {
      threshold = value;
      return this;
    }

    /** Told the size of every micro-batch the network runs (for metrics). */
    public Builder onBatch(IntConsumer listener) {
      batchSizes = listener;
      return this;
    }

    /** Told how long each stage took, in nanoseconds (for metrics: where a request's time goes). */
    public Builder onStageTime(ObjLongConsumer<Stage> listener) {
      stageTimes = listener;
      return this;
    }

    public CopyDetector build() {
      if (storeDir == null && openedStore == null) {
        throw new IllegalArgumentException("a copy detector needs a reference store folder");
      }
      ComputeThreads.configure();
      if (!device.isCuda()) {
        ConvolutionCheck.require();
      }
      if (scoreNormalization != null && (negatives == null || negatives.size(0) <= scoreNormalization.lastRank())) {
        throw new IllegalArgumentException("score normalization needs more than " + (scoreNormalization.lastRank())
            + " negative descriptors");
      }
      Describer describer = new Describer(network, device, describing, pca);
      int dim = describer.dimension();
      if (negatives != null && negatives.size(1) != dim) {
        throw new IllegalArgumentException("the negative descriptors are " + negatives.size(1) + "-d, the"
            + " post-processed descriptors " + dim + "-d");
      }
      network.moveTo(device, describing.precision());  // on a CPU too: channels-last convolution weights
      int stored = dim + (scoreNormalization != null ? 1 : 0);
      if (openedStore != null && openedStore.dimension() != stored) {
        throw new IllegalArgumentException("the reference store holds " + openedStore.dimension() + "-d descriptors,"
            + " the detector stores " + stored + "-d");
      }
      ReferenceStore store = openedStore != null ? openedStore : ReferenceStore.open(storeDir, stored, storeOptions);
      return new CopyDetector(this, describer, store, dim);
    }
  }

  /** The dimension of {@link #describe} descriptors. */
  public int dimension() {
    return descriptorDimension;
  }

  public double defaultThreshold() {
    return defaultThreshold;
  }

  /** References held. */
  public long size() {
    return store.size();
  }

  /** Requests waiting for the network. */
  public int queued() {
    return batcher.queued();
  }

  /**
   * Refuses at once, without decoding, an image that {@link #describe} would refuse from its header
   * (format, truncation, size limits): for callers that queue images and want a bomb answered first.
   */
  public void checkImage(byte[] image) {
    Images.check(image, "image", maxImageSide);
  }

  /** The post-processed, L2-normalised descriptor of an image (encoded bytes). */
  public float[] describe(byte[] image) {
    return join(describeAsync(image));
  }

  /** Descriptors of several images (they go through the network together). */
  public List<float[]> describe(List<byte[]> images) {
    List<CompletableFuture<float[]>> futures = new ArrayList<>(images.size());
    for (byte[] image : images) {
      futures.add(describeAsync(image));
    }
    List<float[]> out = new ArrayList<>(images.size());
    for (CompletableFuture<float[]> f : futures) {
      out.add(join(f));
    }
    return out;
  }

  private CompletableFuture<float[]> describeAsync(byte[] image) {
    long t0 = System.nanoTime();
    float[][] pixels;
    try (Mat decoded = Images.decode(image, "image", maxImageSide)) {
      pixels = describer.prepare(decoded);
    }
    stageTimes.accept(Stage.DECODE, System.nanoTime() - t0);
    return batcher.submit(pixels);
  }

  /** The k best references of an image, called a copy at the default threshold. */
  public Matches match(byte[] image, int k) {
    return match(image, k, defaultThreshold);
  }

  /** The k best references of an image, called a copy from this threshold. */
  public Matches match(byte[] image, int k, double threshold) {
    return matchDescriptors(List.of(describe(image)), k, threshold).get(0);
  }

  /** Matches several images. */
  public List<Matches> match(List<byte[]> images, int k, double threshold) {
    return matchDescriptors(describe(images), k, threshold);
  }

  /** Matches descriptors made by {@link #describe}. */
  public List<Matches> matchDescriptors(List<float[]> descriptors, int k, double threshold) {
    try (PointerScope scope = new PointerScope()) {
      Tensor queries = rows(descriptors);
      Tensor searched = scoreNormalization != null ? scoreNormalization.queries(queries, negatives) : queries;
      long t0 = System.nanoTime();
      List<List<ReferenceStore.Hit>> hits = store.search(searched, k);
      stageTimes.accept(Stage.SEARCH, System.nanoTime() - t0);
      List<Matches> out = new ArrayList<>(hits.size());
      for (List<ReferenceStore.Hit> h : hits) {
        List<Match> matches = new ArrayList<>(h.size());
        h.forEach(hit -> matches.add(new Match(hit.id(), hit.score())));
        out.add(new Matches(matches, threshold));
      }
      return out;
    }
  }

  /** Adds (or replaces) a reference from its image; durable once this returns. */
  public void addReference(String id, byte[] image) {
    addReferenceDescriptors(List.of(id), List.of(describe(image)));
  }

  /** Adds (or replaces) a reference from a descriptor like those of {@link #describe} (scaled to unit length). */
  public void addReference(String id, float[] descriptor) {
    addReferenceDescriptors(List.of(id), List.of(descriptor));
  }

  /** Adds references from their images with one durable write. */
  public void addReferences(List<String> ids, List<byte[]> images) {
    addReferenceDescriptors(ids, describe(images));
  }

  /**
   * The descriptor scaled to unit length: scores are inner products, so a longer vector would outscore
   * every true copy, in an array of {@code length} (room for values after it). Refuses values that
   * are not finite and an all-zero vector, naming the reference.
   */
  private static float[] unit(String id, float[] d, int length) {
    double squares = 0;
    for (int j = 0; j < d.length; j++) {
      if (!Float.isFinite(d[j])) {
        throw new IllegalArgumentException("reference " + id + ": descriptor value " + j + " is " + d[j]);
      }
      squares += (double) d[j] * d[j];
    }
    if (squares == 0) {
      throw new IllegalArgumentException("reference " + id + ": descriptor is all zeros, it has no direction");
    }
    double norm = Math.sqrt(squares);
    float[] out = new float[length];
    for (int j = 0; j < d.length; j++) {
      out[j] = (float) (d[j] / norm);
    }
    return out;
  }

  /** Adds references from descriptors (scaled to unit length) with one durable write. */
  public void addReferenceDescriptors(List<String> ids, List<float[]> descriptors) {
    if (ids.size() != descriptors.size()) {
      throw new IllegalArgumentException(ids.size() + " ids for " + descriptors.size() + " descriptors");
    }
    List<ReferenceStore.Reference> refs = new ArrayList<>(ids.size());
    for (int i = 0; i < ids.size(); i++) {
      float[] d = descriptors.get(i);
      if (d == null || d.length != descriptorDimension) {
        throw new IllegalArgumentException("reference " + ids.get(i) + ": descriptor has " + (d == null ? 0
            : d.length) + " values, this detector's have " + descriptorDimension);
      }
      float[] stored = unit(ids.get(i), d, d.length + (scoreNormalization != null ? 1 : 0));
      if (scoreNormalization != null) {  // references get a constant 1 beside the query's adjustment
        stored[d.length] = 1f;
      }
      refs.add(new ReferenceStore.Reference(ids.get(i), stored));
    }
    store.add(refs);
  }

  /** Removes a reference durably; false when there is none with this id. */
  public boolean remove(String id) {
    return store.remove(id);
  }

  /** Why the reference store accepts no more changes, or empty while it does. */
  public Optional<String> storeFailure() {
    return store.failure();
  }

  /** Writes a snapshot of the reference index now. */
  public void snapshot() {
    store.snapshot();
  }

  /** Describes a micro-batch of prepared images. */
  private List<float[]> describeBatch(List<float[][]> images) {
    long t0 = System.nanoTime();
    try {
      return List.of(describer.describe(images));
    } finally {
      stageTimes.accept(Stage.NETWORK, System.nanoTime() - t0);
    }
  }

  private Tensor rows(List<float[]> descriptors) {
    for (float[] d : descriptors) {
      if (d.length != descriptorDimension) {
        throw new IllegalArgumentException("descriptor has " + d.length + " values, this detector's have "
            + descriptorDimension);
      }
    }
    return HostTensors.stack(descriptors, descriptorDimension);
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new CompletionException(cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the network", e);
    }
  }

  /** Finishes queued requests, closes the store (final snapshot, log synced) and frees the network. */
  @Override
  public void close() {
    batcher.close();
    try {
      store.close();
    } finally {
      network.close();
      if (pca != null) {
        pca.close();
      }
      if (negatives != null) {
        negatives.close();
      }
    }
  }
}
