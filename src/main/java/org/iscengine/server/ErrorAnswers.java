package org.iscengine.server;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import org.iscengine.errors.IscException;
import org.iscengine.errors.IscException.Kind;
import org.iscengine.image.ImageDecodeException;

/**
 * The one place where a failure becomes an HTTP status and the message the client sees. Failures
 * of the client's doing are answered with their message. Failures on the server's side (5xx) are
 * answered with a generic message and an error id; the caller logs the detail under that id, so
 * that nothing of the server's insides (paths, native messages) leaks.
 */
final class ErrorAnswers {
  static final String INTERNAL_MESSAGE = "internal error; the server log has the details";

  /** A status, the message to send, whether the client may simply retry later, and the id to log (null: none). */
  record Answer(int status, String message, boolean retryLater, String errorId) {
    boolean internal() {
      return status == 500;
    }
  }

  private ErrorAnswers() {}

  static Answer of(Throwable e) {
    if (e instanceof HttpError h) {
      return new Answer(h.status, h.getMessage(), h.status == 503, null);
    }
    if (e instanceof RejectedExecutionException) {  // a full queue: the message says only that
      return new Answer(503, e.getMessage(), true, null);
    }
    int status = status(Kind.of(e), e instanceof ImageDecodeException);
    if (status < 500) {
      return new Answer(status, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), false, null);
    }
    String errorId = String.format("%016x", ThreadLocalRandom.current().nextLong());
    String message = switch (status) {
      case 500 -> INTERNAL_MESSAGE;
      case 501 -> "not supported by this server; the server log has the details";
      case 503 -> "unavailable for now, retry later; the server log has the details";
      default -> "the server ran out of memory or disk; the server log has the details";
    };
    return new Answer(status, message + " (error " + errorId + ")", status == 503, errorId);
  }

  /**
   * @param uploaded whether the failure is about the uploaded image itself (its format or size), not
   *     about what the server does with it
   */
  static int status(IscException.Kind kind, boolean uploaded) {
    return switch (kind) {
      case INVALID_INPUT, CORRUPT_DATA -> 400;
      case UNSUPPORTED -> uploaded ? 415 : 501;
      case UNAVAILABLE -> 503;
      case OUT_OF_RESOURCES -> uploaded ? 413 : 507;
      case INTERNAL -> 500;
    };
  }
}
