package org.iscengine.server;

/** A refusal decided by the HTTP layer itself (route, method, token, body size), answered with its status. */
final class HttpError extends RuntimeException {
  private static final long serialVersionUID = 1L;
  final int status;

  HttpError(int status, String message) {
    super(message);
    this.status = status;
  }
}
