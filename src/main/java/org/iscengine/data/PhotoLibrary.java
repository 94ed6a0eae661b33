package org.iscengine.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.iscengine.io.IscCache;

/**
 * Real photographs collected from Debian packages (see {@link PhotoCollector}): a training pool
 * and a disjoint benchmark pool of JPEG files, with the manifest that says where each came from.
 */
public record PhotoLibrary(Path root, Manifest manifest) {
  /** The pools. */
  public static final String TRAIN = "train";

  public static final String BENCH = "bench";

  /** The colour-emoji font copied into the library, when the collection found one. */
  static final String EMOJI_FONT = "NotoColorEmoji.ttf";

  /** Where `isc data photos` puts the library unless told otherwise. */
  public static Path defaultRoot() {
    return IscCache.root().resolve("photos");
  }

  /**
   * One photo of a pool: a tile (or the whole) of a source image, and the share of its pixels in
   * the four most frequent grey levels (high for screenshots and diagrams, see {@link PhotoStats}).
   */
  public record Unit(String pool, String file, String source, int x, int y, int width, int height,
      double dominantShare) {}

  /** A source image (or one tile of it) left out, and why. */
  public record Rejected(String source, String reason) {}

  /**
   * A Debian package the library was made from: its exact version (a library built from other
   * versions shows it here), its pool, how many image files it held and how many units it gave.
   */
  public record Package(String name, String version, String pool, int sources, int units) {}

  /** The manifest layout this code writes; a library of another layout is built again. */
  public static final int FORMAT = 2;

  /** What the collection holds and how it was made. */
  public record Manifest(
      int format,
      String engineVersion,
      int trainTile,
      int benchTile,
      List<Package> packages,
      int training,
      int benchmark,
      String emojiFont,
      List<Unit> units,
      List<Rejected> rejected) {}

  /** Whether root holds a library of the layout this code writes. */
  public static boolean isCurrent(Path root) {
    Path file = root.resolve("manifest.json");
    try {
      return Files.isRegularFile(file) && new ObjectMapper().readTree(file.toFile()).path("format").asInt(1) == FORMAT;
    } catch (IOException e) {
      return false;
    }
  }

  /** The library in root, read from its manifest. */
  public static PhotoLibrary open(Path root) {
    Path file = root.resolve("manifest.json");
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          "no photo library in " + root + " (manifest.json missing): run 'isc data photos' first");
    }
    try {
      ObjectMapper json = new ObjectMapper();
      var tree = json.readTree(file.toFile());
      if (tree.path("format").asInt(1) != FORMAT) {
        throw new IllegalArgumentException("the photo library in " + root + " has an older layout (format "
            + tree.path("format").asInt(1) + ", this version reads " + FORMAT + "): run 'isc data photos --force'");
      }
      return new PhotoLibrary(root, json.treeToValue(tree, Manifest.class));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The units of one pool, in manifest order. */
  public List<Unit> units(String pool) {
    return manifest.units().stream().filter(u -> u.pool().equals(pool)).toList();
  }

  /** The files of one pool, in manifest order. */
  public List<Path> pool(String name) {
    return units(name).stream().map(this::file).toList();
  }

  public Path file(Unit unit) {
    return root.resolve(unit.file());
  }

  /** The colour-emoji font of the library, if it has one. */
  public Optional<Path> emojiFont() {
    return Optional.ofNullable(manifest.emojiFont()).map(root::resolve).filter(Files::isRegularFile);
  }

  public List<Path> training() {
    return pool(TRAIN);
  }

  public List<Path> benchmark() {
    return pool(BENCH);
  }
}
