package org.iscengine.benchmarks;

import static org.iscengine.augment.Compose.maybe;
import static org.iscengine.augment.Compose.sequence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.augment.Augmenter;
import org.iscengine.augment.Blur;
import org.iscengine.augment.ColorJitter;
import org.iscengine.augment.EmojiSet;
import org.iscengine.augment.Flip;
import org.iscengine.augment.Generated;
import org.iscengine.augment.Fonts;
import org.iscengine.augment.Grayscale;
import org.iscengine.augment.ImagePool;
import org.iscengine.augment.JpegQuality;
import org.iscengine.augment.Perspective;
import org.iscengine.augment.Pixelize;
import org.iscengine.augment.Presets;
import org.iscengine.augment.RandomResizedCrop;
import org.iscengine.augment.Resources;
import org.iscengine.augment.Resize;
import org.iscengine.augment.Rng;
import org.iscengine.augment.Rotate;
import org.iscengine.augment.Transform;
import org.iscengine.image.ImageOps;
import org.iscengine.image.Images;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Augmentation throughput on one core (images/s): each named preset, and single transforms with
 * the parameters benchmarks/augment/torchvision_peer.py gives their torchvision counterparts,
 * on a 256 x 256 input (-p image=FILE, cropped to its centre square; a generated one by default)
 * and 256 x 256 output.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
public class AugmentBenchmark {
  /** A preset name, the torchvision-expressible part of lyakaap-v83, or one transform. */
  @Param({"moderate", "lyakaap-v83", "lyakaap-v86", "d2lv-big", "sscd-advanced", "disc-query", "lyakaap-v83-subset",
      "crop", "rotate", "color-jitter", "grayscale", "blur", "perspective", "jpeg", "pixelize", "flip"})
  public String recipe;

  @Param({""})
  public String image;

  @Param({"256"})
  public int size;

  private Mat input;
  private Augmenter augmenter;
  private long seed;

  @Setup(Level.Trial)
  public void setUp() {
    opencv_core.setNumThreads(1);  // one core: the builders run one image per thread
    try (Mat source = image.isEmpty() ? Generated.gradient(new Rng(1), size, size) : Images.read(Path.of(image))) {
      int side = Math.min(source.cols(), source.rows());
      try (Mat square = ImageOps.crop(source, (source.cols() - side) / 2, (source.rows() - side) / 2, side, side)) {
        input = ImageOps.resize(square, size, size);
      }
    }
    // The input itself is the other image of overlays and mixing.
    Path other = image.isEmpty() ? written(input) : Path.of(image);
    Resources resources = new Resources(ImagePool.of(List.of(other)), Fonts.system(), EmojiSet.system());
    augmenter = Presets.NAMES.contains(recipe) ? Augmenter.preset(recipe, size, resources)
        : new Augmenter(transform(recipe, size), resources);
  }

  private static Path written(Mat image) {
    try {
      Path file = Files.createTempFile("isc-augment-input", ".png");
      file.toFile().deleteOnExit();
      Images.write(file, image, Images.DEFAULT_JPEG_QUALITY);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Transform transform(String name, int size) {
    return switch (name) {
      case "crop" -> new RandomResizedCrop(0.15, 1.0, size);
      case "rotate" -> new Rotate(-30, 30, false);
      case "color-jitter" -> new ColorJitter(0.7, 0.7, 0.7, 0.2);
      case "grayscale" -> new Grayscale();
      case "blur" -> new Blur(0.5, 3.0);
      case "perspective" -> new Perspective(0.5);
      case "jpeg" -> new JpegQuality(new int[] {10, 20, 30, 50});
      case "pixelize" -> new Pixelize(0.1, 1.0);
      case "flip" -> new Flip(true);
      // The part of lyakaap-v83 that torchvision can express, in the same order and with the same odds.
      case "lyakaap-v83-subset" -> sequence(
          maybe(0.25, new Rotate(-30, 30, false)),
          new RandomResizedCrop(0.15, 1.0, size),
          new ColorJitter(0.7, 0.7, 0.7, 0.2),
          maybe(0.25, new Pixelize(0.1, 1.0)),
          maybe(0.25, new JpegQuality(new int[] {10, 20, 30, 50})),
          maybe(0.25, new Grayscale()),
          maybe(0.25, new Blur(0.5, 3.0)),
          maybe(0.25, new Perspective(0.5)),
          maybe(0.5, new Flip(true)),
          maybe(0.1, new Flip(false)),
          Resize.square(size));
      default -> throw new IllegalArgumentException("unknown recipe " + name);
    };
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    input.close();
  }

  @Benchmark
  public int augment() {
    try (Mat out = augmenter.apply(input, seed++)) {
      return out.rows();
    }
  }
}
