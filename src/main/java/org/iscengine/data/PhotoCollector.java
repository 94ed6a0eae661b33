package org.iscengine.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.stream.Stream;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageOps;
import org.iscengine.image.ImageFormat;
import org.iscengine.image.Images;
import org.iscengine.io.AtomicFile;
import org.iscengine.io.FileTrees;
import org.iscengine.progress.Parallel;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.Versions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the {@link PhotoLibrary} from Debian packages, without root (see {@link #PACKAGES}):
 * desktop backgrounds and artwork for training and, disjoint from them at the package level,
 * the photographs of another desktop's wallpapers, of photo-program manuals and of a jigsaw game,
 * and the opencv-doc and python3-skimage images, for benchmarks. Sources that copy one another are
 * dropped, keeping the largest copy (see {@link PhotoStats#copyKind}), and so are numbered series
 * (frames, views of one calibration pattern), blank or tiny images and, in the benchmark pool,
 * tiles that are mostly a few flat grey levels (diagrams, screenshots). Each source gives units of
 * one size: large photos are cut into non-overlapping tiles of one of two sizes (chosen from the
 * source's name, so that tiles of one photo never contain one another), small ones are kept
 * whole. The colour emoji font (fonts-noto-color-emoji) is fetched into the same cache for the
 * emoji overlays. The same package versions give the same files and manifest on any machine.
 */
public final class PhotoCollector {
  private static final Logger log = LoggerFactory.getLogger(PhotoCollector.class);

  /** A Debian package giving images to one pool, and the folder inside it that holds them. */
  public record PackageSource(String name, String pool, String folder) {}

  /** The packages of the library; each in one pool only, so the pools are disjoint by package. */
  public static final List<PackageSource> PACKAGES = List.of(
      new PackageSource("mate-backgrounds", PhotoLibrary.TRAIN, "usr/share/backgrounds"),
      new PackageSource("gnome-backgrounds", PhotoLibrary.TRAIN, "usr/share/backgrounds"),
      new PackageSource("desktop-base", PhotoLibrary.TRAIN, "usr/share/desktop-base"),
      new PackageSource("sway-backgrounds", PhotoLibrary.TRAIN, "usr/share/backgrounds"),
      new PackageSource("xfdesktop4-data", PhotoLibrary.TRAIN, "usr/share/backgrounds"),
      new PackageSource("plasma-workspace-wallpapers", PhotoLibrary.BENCH, "usr/share/wallpapers"),
      new PackageSource("palapeli-data", PhotoLibrary.BENCH, "usr/share/palapeli"),
      new PackageSource("hugin-data", PhotoLibrary.BENCH, "usr/share/hugin/xrc/data"),
      new PackageSource("fotoxx-common", PhotoLibrary.BENCH, "usr/share/fotoxx/images"),
      new PackageSource("xplanet-images", PhotoLibrary.BENCH, "usr/share/xplanet/images"),
      new PackageSource("python3-skimage", PhotoLibrary.BENCH, "usr/lib/python3/dist-packages/skimage/data"),
      new PackageSource("opencv-doc", PhotoLibrary.BENCH, "usr/share/doc/opencv-doc"));

  public static final String EMOJI_PACKAGE = "fonts-noto-color-emoji";

  /** Grey-level standard deviation below which an image counts as blank. */
  static final double MIN_CONTRAST = 12;

  /**
   * Benchmark tiles with more of their pixels in four grey levels than this are diagrams or
   * screenshots and left out; photographs stay well below (see {@link PhotoStats}).
   */
  static final double MAX_GRAPHIC_SHARE = 0.6;

  private final Path cache;
  private final Path out;
  private final int trainTile;
  private final int benchTile;
  private final int minSide;
  private final int threads;
  private final Progress.Factory progress;

  /** Tiles are trainTile or benchTile on a side, or 1.5 times that (see {@link #tileSide}). */
  public PhotoCollector(Path cache, Path out, int trainTile, int benchTile, int threads, Progress.Factory progress) {
    if (trainTile < 64 || benchTile < 64) {
      throw new IllegalArgumentException("tile sizes must be >= 64, got " + trainTile + " and " + benchTile);
    }
    for (PackageSource p : PACKAGES) {
      DebianPackages.refuseReserved(p.name());
    }
    this.cache = cache;
    this.out = out;
    this.trainTile = trainTile;
    this.benchTile = benchTile;
    this.minSide = 128;
    this.threads = threads;
    this.progress = progress;
  }

  /** An image file found in a package, and the pool it belongs to; name starts with the package's. */
  record Source(String pool, Path file, String name) {
    String packageName() {
      int slash = name.indexOf('/');
      return slash < 0 ? name : name.substring(0, slash);
    }
  }

  /** What one source gave: its size and hash, and its candidate units written to the scratch folder. */
  record Scanned(int width, int height, PhotoStats stats, List<Candidate> tiles) {}

  record Candidate(Path scratch, int x, int y, int width, int height, PhotoStats stats) {}

  /** Collects (or, if already there, opens) the library. */
  public PhotoLibrary collect(boolean force) {
    if (!force && PhotoLibrary.isCurrent(out)) {
      log.info("photo library already in {}", out);
      return PhotoLibrary.open(out);
    }
    DebianPackages debs = new DebianPackages(cache);
    Map<String, String> versions = new LinkedHashMap<>();
    List<Source> sources = new ArrayList<>();
    for (PackageSource p : PACKAGES) {
      Path root = debs.unpacked(p.name());
      versions.put(p.name(), debs.version(p.name()));
      sources.addAll(images(p.pool(), root, root.resolve(p.folder())));
    }
    Path emoji = debs.unpacked(EMOJI_PACKAGE).resolve("usr/share/fonts/truetype/noto/NotoColorEmoji.ttf");
    versions.put(EMOJI_PACKAGE, debs.version(EMOJI_PACKAGE));
    return build(sources, versions, Files.isRegularFile(emoji) ? emoji : null);
  }

  /**
   * Builds the library from given sources (the collection step minus the download), given the
   * version of each package; the emoji font, when given, is copied in so that the library is
   * self-contained.
   */
  PhotoLibrary build(List<Source> sources, Map<String, String> versions, Path emojiFont) {
    Path scratch = out.resolve(".scratch");
    try {
      FileTrees.delete(scratch);
      Files.createDirectories(scratch);
      // The manifest marks a finished library: an old one must not vouch for pools being rebuilt.
      Files.deleteIfExists(out.resolve("manifest.json"));
      AtomicFile.syncFolder(out);
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
      PhotoLibrary.Manifest manifest = new PhotoLibrary.Manifest(PhotoLibrary.FORMAT, Versions.engine(), trainTile,
          benchTile, packages(versions, sources, named),
          counts[0], counts[1], emoji, named, rejected);
      FileTrees.sync(out);  // the pools on disk before the manifest that vouches for them
      AtomicFile.writeJson(out.resolve("manifest.json"), manifest);
      log.info("photo library: {} training and {} benchmark images in {}", counts[0], counts[1], out);
      return new PhotoLibrary(out, manifest);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the photo library in " + out + ": " + e.getMessage(), e);
    }
  }

  /** Each package with its version, pool, image files found and units kept, in the given order. */
  private static List<PhotoLibrary.Package> packages(Map<String, String> versions, List<Source> sources,
      List<PhotoLibrary.Unit> units) {
    List<PhotoLibrary.Package> packages = new ArrayList<>();
    versions.forEach((name, version) -> {
      List<Source> own = sources.stream().filter(s -> s.packageName().equals(name)).toList();
      String pool = own.isEmpty() ? (name.equals(EMOJI_PACKAGE) ? "emoji font" : "none") : own.get(0).pool();
      int kept = (int) units.stream().filter(u -> u.source().startsWith(name + "/")).count();
      packages.add(new PhotoLibrary.Package(name, version, pool, own.size(), kept));
    });
    return packages;
  }

  /** Image files under dir (symbolic links left out), sorted, named relative to the package root. */
  private static List<Source> images(String pool, Path root, Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
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
        int small = source.pool().equals(PhotoLibrary.TRAIN) ? trainTile : benchTile;
        int t = tileSide(source.name(), small, w, h);
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
          double scale = Math.min(1.0, 2.0 * small / Math.max(w, h));
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

  /**
   * The tile side for a source: the pool's size or, for one source in three, 1.5 times it (fewer
   * units per photo), picked from a checksum of the source's name (the same on every machine); the
   * smaller one when the larger gives fewer than two tiles. One side per source, so no unit of a photo contains another of the same photo.
   */
  static int tileSide(String name, int small, int width, int height) {
    CRC32 crc = new CRC32();
    crc.update(name.getBytes(StandardCharsets.UTF_8));
    int large = small * 3 / 2;
    boolean wantLarge = crc.getValue() % 3 == 0;
    return wantLarge && (width / large) * (height / large) >= 2 ? large : small;
  }

  /**
   * The series a source belongs to: its folder and its file name without digits, separators and
   * extension. Numbered files in one folder (left01.jpg, left02.jpg...) are frames or views of one
   * scene or pattern, and only one of them is kept.
   */
  static String series(String name) {
    int slash = name.lastIndexOf('/');
    String file = name.substring(slash + 1);
    int dot = file.lastIndexOf('.');
    if (dot > 0) {
      file = file.substring(0, dot);
    }
    return name.substring(0, slash + 1) + file.toLowerCase(Locale.ROOT).replaceAll("[0-9_\\-. ]", "");
  }

  private static Candidate keep(Mat unit, Path file, int x, int y, int w, int h) {
    Images.write(file, unit, 95);
    return new Candidate(file, x, y, w, h, PhotoStats.of(unit));
  }

  /**
   * The units kept, in a fixed order: training sources first, then benchmark ones. Within a pool,
   * larger copies of a photo win over smaller ones; benchmark photos that copy a training photo
   * are dropped so the pools stay disjoint, and so are units that copy a unit kept before.
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
    List<PhotoStats> keptSources = new ArrayList<>();
    List<String> keptNames = new ArrayList<>();
    Map<String, String> keptSeries = new HashMap<>();
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
      String sibling = keptSeries.get(series(s.name()));
      if (sibling != null) {
        rejected.add(new PhotoLibrary.Rejected(s.name(), "same numbered series as " + sibling));
        continue;
      }
      String copy = copyOf(keptSources, keptNames, sc.stats());
      if (copy != null) {
        rejected.add(new PhotoLibrary.Rejected(s.name(), copy));
        continue;
      }
      keptSources.add(sc.stats());
      keptNames.add(s.name());
      keptSeries.put(series(s.name()), s.name());
      accepted.add(i);
    }
    // Units in source-name order within each pool, so file numbers do not depend on sizes.
    accepted.sort(Comparator.<Integer, Integer>comparing(i -> sources.get(i).pool().equals(PhotoLibrary.TRAIN) ? 0 : 1)
        .thenComparing(i -> sources.get(i).name()));
    List<PhotoStats> keptTiles = new ArrayList<>();
    List<String> tileNames = new ArrayList<>();
    List<PhotoLibrary.Unit> units = new ArrayList<>();
    for (int i : accepted) {
      Source s = sources.get(i);
      for (Candidate c : scanned[i].tiles()) {
        String where = s.name() + " [" + c.x() + "," + c.y() + " " + c.width() + "x" + c.height() + "]";
        if (c.stats().contrast() < MIN_CONTRAST) {
          rejected.add(new PhotoLibrary.Rejected(where, "blank tile"));
          continue;
        }
        if (s.pool().equals(PhotoLibrary.BENCH) && c.stats().dominantShare() > MAX_GRAPHIC_SHARE) {
          rejected.add(new PhotoLibrary.Rejected(where, "diagram or screenshot ("
              + Math.round(100 * c.stats().dominantShare()) + "% of the pixels in four grey levels)"));
          continue;
        }
        String copy = copyOf(keptTiles, tileNames, c.stats());
        if (copy != null) {
          rejected.add(new PhotoLibrary.Rejected(where, copy));  // plain sky, a repeated pattern
          continue;
        }
        keptTiles.add(c.stats());
        tileNames.add(where);
        units.add(new PhotoLibrary.Unit(s.pool(), c.scratch().toString(), s.name(), c.x(), c.y(), c.width(), c.height(),
            round(c.stats().dominantShare())));
      }
    }
    return units;
  }

  private static double round(double share) {
    return Math.round(share * 1e4) / 1e4;
  }

  /** "KIND of NAME" for the first kept image that stats copies, or null. */
  private static String copyOf(List<PhotoStats> kept, List<String> names, PhotoStats stats) {
    for (int k = 0; k < kept.size(); k++) {
      String kind = PhotoStats.copyKind(kept.get(k), stats);
      if (kind != null) {
        return kind + " of " + names.get(k);
      }
    }
    return null;
  }
}
