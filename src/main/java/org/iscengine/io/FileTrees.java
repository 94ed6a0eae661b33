package org.iscengine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.iscengine.io.AtomicFile.Interruption;
import org.iscengine.io.AtomicFile.Step;

/**
 * Folders as a whole: published atomically, or deleted.
 *
 * <p>A folder {@code NAME} is built as its sibling {@code .tmp-NAME}; a folder it replaces is
 * first moved aside to {@code .old-NAME}. After a crash, {@link #recover} puts the old folder back
 * when the new one had not taken its place, and removes what is left over, so that at any moment
 * one whole folder exists under NAME or as {@code .old-NAME}.
 */
public final class FileTrees {
  private static final String BUILDING = ".tmp-";
  private static final String ASIDE = ".old-";

  private FileTrees() {}

  /** Deletes the folder (or file) and everything in it, deepest first; nothing when it is absent. */
  public static void delete(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /**
   * Builds the folder with the writer (given an empty folder to fill), syncs every file and folder
   * in it, and renames it into place, replacing the folder there; the parent is synced after each
   * rename. On failure the folder there is kept.
   */
  public static void publish(Path target, AtomicFile.Writer writer) {
    publish(target, writer, Interruption.NONE);
  }

  static void publish(Path target, AtomicFile.Writer writer, Interruption interruption) {
    Path absolute = target.toAbsolutePath();
    Path parent = absolute.getParent();
    Path building = sibling(absolute, BUILDING);
    Path aside = sibling(absolute, ASIDE);
    try {
      Files.createDirectories(parent);
      recover(absolute);
      Files.createDirectories(building);
      writer.writeTo(building);
      interruption.at(Step.WRITTEN);
      sync(building);
      interruption.at(Step.SYNCED);
      if (Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
        Files.move(absolute, aside, StandardCopyOption.ATOMIC_MOVE);
        AtomicFile.syncFolder(parent);
        interruption.at(Step.MOVED_ASIDE);
      }
      Files.move(building, absolute, StandardCopyOption.ATOMIC_MOVE);
      AtomicFile.syncFolder(parent);
      interruption.at(Step.RENAMED);
      delete(aside);
    } catch (IOException e) {
      recoverQuietly(absolute);
      throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      recoverQuietly(absolute);
      throw e;
    }
  }

  /**
   * Finishes or undoes a publish of the folder that a crash interrupted: the folder moved aside
   * comes back when the new one is not in place; half-built and replaced folders are removed.
   */
  public static void recover(Path target) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path aside = sibling(absolute, ASIDE);
    if (!Files.exists(absolute, LinkOption.NOFOLLOW_LINKS) && Files.exists(aside, LinkOption.NOFOLLOW_LINKS)) {
      Files.move(aside, absolute, StandardCopyOption.ATOMIC_MOVE);
      AtomicFile.syncFolder(absolute.getParent());
    }
    delete(sibling(absolute, BUILDING));
    delete(aside);
  }

  /** {@link #recover}s every folder of this parent whose publish was interrupted. */
  public static void recoverAll(Path parent) throws IOException {
    if (!Files.isDirectory(parent)) {
      return;
    }
    List<Path> leftovers;
    try (Stream<Path> s = Files.list(parent)) {
      leftovers = s.filter(p -> p.getFileName().toString().startsWith(BUILDING)
          || p.getFileName().toString().startsWith(ASIDE)).toList();
    }
    for (Path p : leftovers) {
      String name = p.getFileName().toString();
      recover(parent.resolve(name.substring(name.startsWith(BUILDING) ? BUILDING.length() : ASIDE.length())));
    }
  }

  /** Syncs every file and folder of the tree, the folders after what they hold. */
  public static void sync(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          AtomicFile.syncFile(p);
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          AtomicFile.syncFolder(p);
        }
      }
    }
  }

  private static Path sibling(Path target, String prefix) {
    return target.resolveSibling(prefix + target.getFileName());
  }

  private static void recoverQuietly(Path target) {
    try {
      recover(target);
    } catch (IOException | RuntimeException ignored) {
      // the publish already failed; that error is the one to report
    }
  }
}
