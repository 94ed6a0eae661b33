package org.iscengine.train;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.augment.Augmenter;
import org.iscengine.augment.Resources;
import org.iscengine.augment.Rng;
import org.iscengine.describe.Preprocess;
import org.iscengine.image.Images;

/**
 * Training batches made ahead of the model on a thread pool. Batch s depends only on the seed,
 * the stage and s (the epoch's shuffle and every augmentation are seeded from them), so a
 * resumed run sees exactly the batches an uninterrupted one would.
 *
 * <p>Rows of a batch: the first view of each sample, then the second views, then the extra
 * negatives; labels: the sample's index (both views), and distinct labels for the negatives.
 */
final class Batches implements AutoCloseable {
  /** Images as CHW floats in [0, 1] (normalised later, on the device) and their labels. */
  record Batch(long step, int rows, int size, float[] pixels, long[] labels) {}

  private final Stage stage;
  private final TrainingData data;
  private final long seed;
  private final int stepsPerEpoch;
  private final Augmenter first;
  private final Augmenter second;
  private final Augmenter negative;
  private final ExecutorService pool;
  private final Deque<CompletableFuture<Batch>> ahead = new ArrayDeque<>();
  private long nextToSubmit;
  private final long end;

  Batches(Stage stage, TrainingData data, Resources resources, long seed, long startStep, long endStep,
      int workers) {
    this.stage = stage;
    this.data = data;
    this.seed = seed;
    this.stepsPerEpoch = (int) stepsPerEpoch(stage, data);
    this.first = stage.pairs() ? null : Augmenter.preset(stage.views().get(0), stage.inputSize(), resources);
    this.second = stage.pairs() ? null : Augmenter.preset(stage.views().get(1), stage.inputSize(), resources);
    this.negative = Augmenter.preset("moderate", stage.inputSize(), resources);
    this.pool = Executors.newFixedThreadPool(workers, r -> {
      Thread t = new Thread(r, "isc-train-data");
      t.setDaemon(true);
      return t;
    });
    this.nextToSubmit = startStep;
    this.end = endStep;
    for (int i = 0; i < workers + 1 && nextToSubmit < end; i++) {
      submit();
    }
  }

  static long stepsPerEpoch(Stage stage, TrainingData data) {
    return data.samples(stage) / stage.batchSize();
  }

  private void submit() {
    long step = nextToSubmit++;
    ahead.add(CompletableFuture.supplyAsync(() -> make(step), pool));
  }

  /** The next batch, in step order. */
  Batch next() {
    CompletableFuture<Batch> f = ahead.poll();
    if (f == null) {
      throw new IllegalStateException("no more batches in this stage");
    }
    if (nextToSubmit < end) {
      submit();
    }
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while loading training images", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    }
  }

  /** The sample indices of a step: the epoch's seeded permutation, cut into batches. */
  int[] samplesOf(long step) {
    long epoch = step / stepsPerEpoch;
    int n = data.samples(stage);
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Rng rng = Rng.of(seed, 0x5eed0000L + epoch);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    int from = (int) (step % stepsPerEpoch) * stage.batchSize();
    int[] out = new int[stage.batchSize()];
    System.arraycopy(order, from, out, 0, out.length);
    return out;
  }

  private Batch make(long step) {
    int b = stage.batchSize();
    int negatives = b * stage.referenceNegatives();
    int rows = 2 * b + negatives;
    int s = stage.inputSize();
    int plane = 3 * s * s;
    float[] pixels = new float[rows * plane];
    long[] labels = new long[rows];
    int[] samples = samplesOf(step);
    for (int i = 0; i < b; i++) {
      int sample = samples[i];
      long key = step * 1_000_003L + i;
      if (stage.pairs()) {
        TrainingData.Pair pair = data.pairs().get(sample);
        put(pixels, i, plane, resized(pair.query()));
        put(pixels, b + i, plane, resized(pair.reference()));
      } else {
        try (Mat image = Images.read(data.images().get(sample))) {
          put(pixels, i, plane, augmented(first, image, Rng.of(seed, 2 * key).nextLong()));
          put(pixels, b + i, plane, augmented(second, image, Rng.of(seed, 2 * key + 1).nextLong()));
        }
      }
      labels[i] = sample;
      labels[b + i] = sample;
    }
    Rng pick = Rng.of(seed, 0xabcdef00L + step);
    for (int k = 0; k < negatives; k++) {
      int ref = pick.nextInt(data.references().size());
      try (Mat image = Images.read(data.references().get(ref))) {
        put(pixels, 2 * b + k, plane, augmented(negative, image, pick.nextLong()));
      }
      labels[2 * b + k] = data.samples(stage) + (long) ref;  // never a training sample's label
    }
    return new Batch(step, rows, s, pixels, labels);
  }

  private float[] augmented(Augmenter augmenter, Mat image, long viewSeed) {
    try (Mat view = augmenter.apply(image, viewSeed)) {
      return Preprocess.chw(view, stage.inputSize(), Preprocess.Resize.SQUARE, false);
    }
  }

  private float[] resized(java.nio.file.Path file) {
    try (Mat image = Images.read(file)) {
      return Preprocess.chw(image, stage.inputSize(), Preprocess.Resize.SQUARE, false);
    }
  }

  private static void put(float[] pixels, int row, int plane, float[] chw) {
    System.arraycopy(chw, 0, pixels, row * plane, plane);
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
