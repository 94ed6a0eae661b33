package org.iscengine.errors;

import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * A failure that says what kind it is, so that the server and the command line can answer it
 * (status code, exit code, whether to show a stack trace) without knowing where it came from.
 * A plain {@link IllegalArgumentException} counts as {@link Kind#INVALID_INPUT}; see {@link Kind#of}.
 */
public class IscException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, from the point of view of whoever has to act on it. */
  public enum Kind {
    /** The caller asked for something wrong: a bad value, a missing file, a wrong combination. */
    INVALID_INPUT,
    /** A file or body is damaged, truncated or not what it claims to be. */
    CORRUPT_DATA,
    /** A valid request that this build, backend or machine does not implement. */
    UNSUPPORTED,
    /** Something needed is not there now: a native library, a device, a tool, a locked store, a full queue. */
    UNAVAILABLE,
    /** Memory, disk or a size limit ran out. */
    OUT_OF_RESOURCES,
    /** A bug: an invariant broke. The stack trace is what helps. */
    INTERNAL;

    /**
     * The kind of any throwable: its own for an {@link IscException}; input for an
     * {@link IllegalArgumentException} or a file the caller named that is not there; corrupt data
     * for a file that ends early; unavailable for other I/O failures and a refused task (a full
     * queue); out of resources for an {@link OutOfMemoryError} (met as a cause); a wrapper's
     * ({@link ExecutionException}, {@link CompletionException}, {@link UncheckedIOException}) its
     * cause's; internal for everything else.
     */
    public static Kind of(Throwable t) {
      if (t instanceof IscException e) {
        return e.kind();
      }
      if (t instanceof IllegalArgumentException) {
        return INVALID_INPUT;
      }
      if ((t instanceof UncheckedIOException || t instanceof ExecutionException || t instanceof CompletionException)
          && t.getCause() != null) {
        return of(t.getCause());
      }
      if (t instanceof NoSuchFileException || t instanceof FileNotFoundException || t instanceof NotDirectoryException
          || t instanceof AccessDeniedException) {
        return INVALID_INPUT;
      }
      if (t instanceof EOFException) {
        return CORRUPT_DATA;
      }
      if (t instanceof IOException || t instanceof RejectedExecutionException) {
        return UNAVAILABLE;
      }
      if (t instanceof OutOfMemoryError) {
        return OUT_OF_RESOURCES;
      }
      return INTERNAL;
    }
  }

  private final Kind kind;

  public IscException(Kind kind, String message) {
    super(message);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public IscException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public Kind kind() {
    return kind;
  }
}
