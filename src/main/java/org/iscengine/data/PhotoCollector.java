package org.iscengine.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageOps;
import org.iscengine.image.ImageFormat;
import org.iscengine.image.Images;
import org.iscengine.io.AtomicFile;
import org.iscengine.io.FileTrees;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.Versions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the {@link PhotoLibrary} from Debian packages, without root: wallpapers for training
 * (plasma-workspace-wallpapers, mate-backgrounds, gnome-backgrounds) and, kept disjoint, the
 * opencv-doc and python3-skimage images for benchmarks. Exact and resized duplicates are dropped
 * (difference hash, keeping the largest copy), blank or tiny images skipped, and large photos cut
 * into non-overlapping tiles so that one photo gives several distinct base images. The colour
 * emoji font (fonts-noto-color-emoji) is fetched into the same cache for the emoji overlays.
 */
public final class PhotoCollector {
  private static final Logger log = LoggerFactory.getLogger(PhotoCollector.class);

  public static final List<String> TRAINING_PACKAGES =
      List.of("plasma-workspace-wallpapers", "mate-backgrounds", "gnome-backgrounds");
  public static final List<String> BENCHMARK_PACKAGES = List.of("opencv-doc", "python3-skimage");
  public static final String EMOJI_PACKAGE = "fonts-noto-color-emoji";

  /** Images whose difference hashes are this close are the same photo. */
  static final int DUPLICATE_BITS = 6;

  /** Grey-level standard deviation below which an image counts as blank. */
  static final double MIN_CONTRAST = 12;

  private final Path cache;
  private final Path out;
  private final int trainTile;
  private final int benchTile;
  private final int minSide;
  private final int threads;
  private final Progress.Factory progress;

  public PhotoCollector(Path cache, Path out, int trainTile, int benchTile, int threads, Progress.Factory progress) {
    if (trainTile < 64 || benchTile < 64) {
      throw new IllegalArgumentException("tile sizes must be >= 64, got " + trainTile + " and " + benchTile);
    }
    this.cache = cache;
    this.out = out;
    this.trainTile = trainTile;
    this.benchTile = benchTile;
    this.minSide = 128;
    this.threads = threads;
    this.progress = progress;
  }

  /** An image file found in a package, and the pool it belongs to. */
  record Source(String pool, Path file, String name) {}

  /** What one source gave: its size and hash, and its candidate units written to the scratch folder. */
  record Scanned(int width, int height, PhotoStats stats, List<Candidate> tiles) {}

  record Candidate(Path scratch, int x, int y, int width, int height, PhotoStats stats) {}

  /** Collects (or, if already there, opens) the library. */
  public PhotoLibrary collect(boolean force) {
    if (!force && Files.isRegularFile(out.resolve("manifest.json"))) {
      log.info("photo library already in {}", out);
      return PhotoLibrary.open(out);
    }
    DebianPackages debs = new DebianPackages(cache);
    Map<String, String> packages = new LinkedHashMap<>();
    List<Source> sources = new ArrayList<>();
    for (String name : TRAINING_PACKAGES) {
      Path root = debs.unpacked(name);
      packages.put(name, debs.download(name).getFileName().toString());
      sources.addAll(images(PhotoLibrary.TRAIN, root, root.resolve("usr/share")));
    }
    for (String name : BENCHMARK_PACKAGES) {
      Path root = debs.unpacked(name);
      packages.put(name, debs.download(name).getFileName().toString());
      Path images = name.equals("python3-skimage") ? root.resolve("usr/lib/python3/dist-packages/skimage/data")
          : root.resolve("usr/share/doc/opencv-doc");
      sources.addAll(images(PhotoLibrary.BENCH, root, images));
    }
    Path emoji = debs.unpacked(EMOJI_PACKAGE).resolve("usr/share/fonts/truetype/noto/NotoColorEmoji.ttf");
    packages.put(EMOJI_PACKAGE, debs.download(EMOJI_PACKAGE).getFileName().toString());
    return build(sources, packages, Files.isRegularFile(emoji) ? emoji : null);
  }

  /**
   * Builds the library from given sources (the collection step minus the download); the emoji
   * font, when given, is copied in so that the library is self-contained.
   */
  PhotoLibrary build(List<Source> sources, Map<String, String> packages, Path emojiFont) {
    Path scratch = out.resolve(".scratch");
    try {
      FileTrees.delete(scratch);
      Files.createDirectories(scratch);
      Scanned[] scanned = new Scanned[sources.size()];
      List<Parallel.Failure> failures = Parallel.run("scanning photos", sources.size(), threads, progress,
          i -> scanned[i] = scan(sources.get(i), scratch.resolve(Integer.toString(i))));
      List<PhotoLibrary.Rejected> rejected = new ArrayList<>();
      for (Parallel.Failure f : failures) {
        rejected.add(new PhotoLibrary.Rejected(sources.get(f.index()).name(), "unreadable: " + f.message()));
      }
      List<PhotoLibrary.Unit> units = select(sources, scanned, rejected);
      for (String pool : List.of(PhotoLibrary.TRAIN, PhotoLibrary.BENCH)) {
        FileTrees.delete(out.resolve(pool));
        Files.createDirectories(out.resolve(pool));
      }
      List<PhotoLibrary.Unit> named = new ArrayList<>();
      int[] counts = new int[2];
      for (PhotoLibrary.Unit u : units) {
        int p = u.pool().equals(PhotoLibrary.TRAIN) ? 0 : 1;
        String file = u.pool() + "/P" + String.format("%06d", counts[p]++) + ".jpg";
        Files.move(Path.of(u.file()), out.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        named.add(new PhotoLibrary.Unit(u.pool(), file, u.source(), u.x(), u.y(), u.width(), u.height(),
            u.dominantShare()));
      }
      FileTrees.delete(scratch);
      String emoji = null;
      if (emojiFont != null) {
        emoji = PhotoLibrary.EMOJI_FONT;
        Files.copy(emojiFont, out.resolve(emoji), StandardCopyOption.REPLACE_EXISTING);
      }
      PhotoLibrary.Manifest manifest = new PhotoLibrary.Manifest(Versions.engine(), trainTile, benchTile, packages,
          counts[0], counts[1], emoji, named, rejected);
      byte[] json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(manifest);
      AtomicFile.write(out.resolve("manifest.json"), tmp -> Files.write(tmp, json));
      log.info("photo library: {} training and {} benchmark images in {}", counts[0], counts[1], out);
      return new PhotoLibrary(out, manifest);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the photo library in " + out + ": " + e.getMessage(), e);
    }
  }

  /** Image files under dir, sorted, named relative to the package root. */
  private static List<Source> images(String pool, Path root, Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile)
          .filter(p -> ImageFormat.ofExtension(p.getFileName().toString()).isPresent())
          .sorted()
          .map(p -> new Source(pool, p, root.getFileName() + "/" + root.relativize(p)))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Decodes one source and writes its candidate units (tiles, or the whole image) to scratch. */
  private Scanned scan(Source source, Path scratch) {
    try (Mat image = Images.read(source.file())) {
      PhotoStats stats = PhotoStats.of(image);
      int w = image.cols();
      int h = image.rows();
      List<Candidate> tiles = new ArrayList<>();
      if (Math.min(w, h) >= minSide) {
        int t = source.pool().equals(PhotoLibrary.TRAIN) ? trainTile : benchTile;
        int nx = w / t;
        int ny = h / t;
        Files.createDirectories(scratch);
        if (nx * ny >= 2) {
          int x0 = (w - nx * t) / 2;
          int y0 = (h - ny * t) / 2;
          for (int j = 0; j < ny; j++) {
            for (int i = 0; i < nx; i++) {
              try (Mat tile = ImageOps.crop(image, x0 + i * t, y0 + j * t, t, t)) {
                tiles.add(keep(tile, scratch.resolve(tiles.size() + ".jpg"), x0 + i * t, y0 + j * t, t, t));
              }
            }
          }
        } else {
          double scale = Math.min(1.0, 2.0 * t / Math.max(w, h));
          try (Mat whole = ImageOps.resize(image, (int) Math.round(w * scale), (int) Math.round(h * scale))) {
            tiles.add(keep(whole, scratch.resolve("0.jpg"), 0, 0, w, h));
          }
        }
      }
      return new Scanned(w, h, stats, tiles);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Candidate keep(Mat unit, Path file, int x, int y, int w, int h) {
    Images.write(file, unit, 95);
    return new Candidate(file, x, y, w, h, PhotoStats.of(unit));
  }

  /**
   * The units kept, in a fixed order: training sources first, then benchmark ones. Within a pool,
   * larger copies of a photo win over smaller ones; benchmark photos close to a training photo
   * are dropped so the pools stay disjoint.
   */
  private List<PhotoLibrary.Unit> select(List<Source> sources, Scanned[] scanned, List<PhotoLibrary.Rejected> rejected) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < sources.size(); i++) {
      if (scanned[i] != null) {
        order.add(i);
      }
    }
    order.sort(Comparator.<Integer, Integer>comparing(i -> sources.get(i).pool().equals(PhotoLibrary.TRAIN) ? 0 : 1)
        .thenComparing(i -> -(long) scanned[i].width() * scanned[i].height())
        .thenComparing(i -> sources.get(i).name()));
    List<Long> keptSources = new ArrayList<>();
    List<String> keptNames = new ArrayList<>();
    List<Long> keptTiles = new ArrayList<>();
    List<Integer> accepted = new ArrayList<>();
    for (int i : order) {
      Source s = sources.get(i);
      Scanned sc = scanned[i];
      if (Math.min(sc.width(), sc.height()) < minSide) {
        rejected.add(new PhotoLibrary.Rejected(s.name(), "too small (" + sc.width() + "x" + sc.height() + ")"));
        continue;
      }
      if (sc.stats().contrast() < MIN_CONTRAST) {
        rejected.add(new PhotoLibrary.Rejected(s.name(),
            "blank (grey-level deviation " + Math.round(sc.stats().contrast()) + ")"));
        continue;
      }
      int twin = nearest(keptSources, sc.stats().hash());
      if (twin >= 0) {
        rejected.add(new PhotoLibrary.Rejected(s.name(), "duplicate of " + keptNames.get(twin)));
        continue;
      }
      keptSources.add(sc.stats().hash());
      keptNames.add(s.name());
      accepted.add(i);
    }
    // Units in source-name order within each pool, so file numbers do not depend on sizes.
    accepted.sort(Comparator.<Integer, Integer>comparing(i -> sources.get(i).pool().equals(PhotoLibrary.TRAIN) ? 0 : 1)
        .thenComparing(i -> sources.get(i).name()));
    List<PhotoLibrary.Unit> units = new ArrayList<>();
    for (int i : accepted) {
      Source s = sources.get(i);
      for (Candidate c : scanned[i].tiles()) {
        if (c.stats().contrast() < MIN_CONTRAST || nearest(keptTiles, c.stats().hash()) >= 0) {
          continue;  // a blank tile, or one repeating another (plain sky, a pattern)
        }
        keptTiles.add(c.stats().hash());
        units.add(new PhotoLibrary.Unit(s.pool(), c.scratch().toString(), s.name(), c.x(), c.y(), c.width(), c.height(),
            round(c.stats().dominantShare())));
      }
    }
    return units;
  }

  private static double round(double share) {
    return Math.round(share * 1e4) / 1e4;
  }

  /** Index of a hash within DUPLICATE_BITS of h, or -1. */
  private static int nearest(List<Long> hashes, long h) {
    for (int k = 0; k < hashes.size(); k++) {
      if (PhotoStats.distance(hashes.get(k), h) <= DUPLICATE_BITS) {
        return k;
      }
    }
    return -1;
  }
}
