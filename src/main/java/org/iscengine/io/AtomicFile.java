package org.iscengine.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes a file so that readers see either the old content or the new one, whole, even after a
 * crash: the content goes to a temporary file in the same folder, is synced to disk, replaces the
 * target by an atomic rename, and the folder is synced so that the rename itself is durable. On
 * failure the target is untouched and the temporary file removed. Folders: {@link FileTrees}.
 */
public final class AtomicFile {
  /** Writes the content to the given (temporary) path: a file, or for a folder, a folder to fill. */
  @FunctionalInterface
  public interface Writer {
    void writeTo(Path temporary) throws IOException;
  }

  /** The points between the steps of a publish, where a test stops it as a crash would. */
  enum Step { WRITTEN, SYNCED, MOVED_ASIDE, RENAMED }

  /**
   * Called at each {@link Step}; a test throws there to interrupt the publish. An {@link Error}
   * skips the clean-up, leaving the files as a crash would; an exception is a failed write.
   */
  @FunctionalInterface
  interface Interruption {
    Interruption NONE = step -> {};

    void at(Step step) throws IOException;
  }

  private static final ObjectMapper INDENTED_JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private AtomicFile() {}

  public static void write(Path target, Writer writer) {
    write(target, writer, Interruption.NONE);
  }

  /** Writes a value as indented JSON (reports, summaries, manifests). */
  public static void writeJson(Path target, Object value) {
    write(target, tmp -> INDENTED_JSON.writeValue(tmp.toFile(), value));
  }

  static void write(Path target, Writer writer, Interruption interruption) {
    Path absolute = target.toAbsolutePath();
    Path folder = absolute.getParent();
    Path temporary = null;
    try {
      Files.createDirectories(folder);
      temporary = Files.createTempFile(folder, "." + absolute.getFileName() + ".", ".tmp");
      permit(temporary, absolute);
      writer.writeTo(temporary);
      interruption.at(Step.WRITTEN);
      syncFile(temporary);
      interruption.at(Step.SYNCED);
      try {
        Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
      }
      temporary = null;
      syncFolder(folder);
      interruption.at(Step.RENAMED);
    } catch (IOException e) {
      removeQuietly(temporary);
      throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      removeQuietly(temporary);
      throw e;
    }
  }

  /**
   * Deletes the temporary files that writes of this target left when the process died during
   * them. Only for a target no one else can be writing now (its owner holds a lock).
   */
  public static void removeLeftovers(Path target) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path folder = absolute.getParent();
    if (!Files.isDirectory(folder)) {
      return;
    }
    String prefix = "." + absolute.getFileName() + ".";
    try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(folder, p -> {
      String name = p.getFileName().toString();
      return name.startsWith(prefix) && name.endsWith(".tmp");
    })) {
      for (Path p : leftovers) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Flushes a file's content and size to disk. */
  public static void syncFile(Path file) throws IOException {
    // Read access is enough for fsync, and read-only files (unpacked packages) can be synced too.
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
      c.force(true);
    }
  }

  /** Flushes a folder's entries to disk: a new name or a rename is durable only once its folder is synced. */
  public static void syncFolder(Path folder) throws IOException {
    try (FileChannel c = FileChannel.open(folder, StandardOpenOption.READ)) {
      c.force(true);
    } catch (IOException e) {
      // Some file systems cannot open folders for syncing; the rename is still atomic there.
      if (e.getMessage() == null || !e.getMessage().contains("Is a directory")) {
        throw e;
      }
    }
  }

  /**
   * Temporary files are private (rw-------); the result gets the permissions of the file it
   * replaces, or the usual rw-r--r-- for a new one.
   */
  private static void permit(Path temporary, Path target) throws IOException {
    if (!Files.getFileStore(temporary).supportsFileAttributeView(PosixFileAttributeView.class)) {
      return;
    }
    Set<PosixFilePermission> permissions = Files.exists(target)
        ? Files.getPosixFilePermissions(target)
        : PosixFilePermissions.fromString("rw-r--r--");
    Files.setPosixFilePermissions(temporary, permissions);
  }

  private static void removeQuietly(Path temporary) {
    if (temporary != null) {
      try {
        Files.deleteIfExists(temporary);
      } catch (IOException ignored) {
        // the write already failed; that error is the one to report
      }
    }
  }
}
