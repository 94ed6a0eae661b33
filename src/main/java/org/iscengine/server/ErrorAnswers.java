package org.iscengine.server;

import org.iscengine.errors.IscException;
import org.iscengine.errors.IscException.Kind;
import org.iscengine.image.ImageDecodeException;

/**
 * The one place where a failure becomes an HTTP status and the message the client sees. Failures
 * of the client's doing are answered with their message; internal ones with a generic message
 * (the caller logs the stack trace), so that nothing of the server's insides leaks.
 */
final class ErrorAnswers {
  static final String INTERNAL_MESSAGE = "internal error; the server log has the details";

  /** A status, the message to send, and whether the client may simply retry later. */
  record Answer(int status, String message, boolean retryLater) {
    boolean internal() {
      return status == 500;
    }
  }

  private ErrorAnswers() {}

  static Answer of(RuntimeException e) {
    if (e instanceof HttpError h) {
      return new Answer(h.status, h.getMessage(), h.status == 503);
    }
    int status = status(Kind.of(e), e instanceof ImageDecodeException);
    String message = status == 500 ? INTERNAL_MESSAGE : e.getMessage() == null ? e.getClass().getSimpleName()
        : e.getMessage();
    return new Answer(status, message, status == 503);
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
