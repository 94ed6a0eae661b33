package org.iscengine.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.iscengine.errors.IscException;

/**
 * The contract every reader of untrusted bytes keeps: it returns a valid result or refuses the
 * bytes with one of its documented exceptions. Anything else (a NullPointerException, an index out
 * of bounds, a negative array size, an error) escapes the fuzz target and is reported as a finding.
 */
final class Contract {
  private Contract() {}

  /** A reader call. */
  @FunctionalInterface
  interface Read {
    void run() throws Exception;
  }

  /**
   * Runs the reader; a refusal of the documented kinds (an {@link IscException}, an
   * {@link IllegalArgumentException}, or one of {@code alsoDocumented}) passes, anything else is
   * rethrown.
   */
  @SafeVarargs
  static void refusesOrReads(Read read, Class<? extends Throwable>... alsoDocumented) {
    try {
      read.run();
    } catch (IscException | IllegalArgumentException e) {
      // a documented refusal
    } catch (Throwable t) {
      for (Class<? extends Throwable> c : alsoDocumented) {
        if (c.isInstance(t)) {
          return;
        }
      }
      if (t instanceof Error error) {
        throw error;
      }
      throw new UndocumentedFailure(t);
    }
  }

  /** A failure the reader does not document: the finding. */
  static final class UndocumentedFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UndocumentedFailure(Throwable cause) {
      super("undocumented " + cause.getClass().getName() + ": " + cause.getMessage(), cause);
    }
  }

  /**
   * A scratch folder for the inputs of one fuzzing process, in memory where the system has one
   * (the readers under test fsync), removed when the process ends.
   */
  static Path scratch(String name) {
    try {
      Path shm = Path.of("/dev/shm");
      Path dir = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "isc-fuzz-" + name)
          : Files.createTempDirectory("isc-fuzz-" + name);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Empties a folder, keeping it. */
  static void clear(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void delete(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // best effort
    }
  }
}
