package org.iscengine.server;

import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads request bodies into memory within two bounds: the size of one body (413 beyond), and the
 * memory all bodies in flight take together (503 beyond, so that many large uploads at once are
 * refused rather than exhaust the heap). A declared length is reserved before any byte is read; a
 * body of unknown length (chunked) reserves as it arrives.
 */
final class Bodies {
  /** A body read, and the memory it holds until {@link #release}. */
  record Body(byte[] bytes, long reserved) {
    static final Body EMPTY = new Body(new byte[0], 0);
  }

  private final long maxBodyBytes;
  private final AtomicLong free;

  Bodies(long maxBodyBytes, long maxBytesInFlight) {
    this.maxBodyBytes = maxBodyBytes;
    this.free = new AtomicLong(maxBytesInFlight);
  }

  Body read(HttpExchange exchange) {
    long declared = declaredLength(exchange);
    long reserved = 0;
    boolean done = false;
    // Left open: what a refused body leaves unread is drained (or the connection closed) when answering.
    InputStream in = exchange.getRequestBody();
    try {
      Body body;
      if (declared >= 0) {
        reserve(declared);
        reserved = declared;
        byte[] bytes = in.readNBytes((int) declared);
        if (bytes.length < declared) {
          throw new HttpError(400, "the body ended after " + bytes.length + " of its " + declared + " bytes");
        }
        body = new Body(bytes, reserved);
      } else {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[64 << 10];
        for (int n; (n = in.read(chunk)) > 0; ) {
          if (out.size() + (long) n > maxBodyBytes) {
            throw tooLarge("the body is larger");
          }
          reserve(2L * n);  // the buffer and its final copy
          reserved += 2L * n;
          out.write(chunk, 0, n);
        }
        body = new Body(out.toByteArray(), reserved);
      }
      done = true;
      return body;
    } catch (IOException e) {
      throw new HttpError(400, "cannot read the request body: " + e.getMessage());
    } finally {
      if (!done) {
        free.addAndGet(reserved);
      }
    }
  }

  /** Gives back the memory of a body no longer needed. */
  void release(Body body) {
    free.addAndGet(body.reserved());
  }

  /** The Content-Length, checked against the limit; -1 when the body is chunked. */
  private long declaredLength(HttpExchange exchange) {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length == null) {
      String coding = exchange.getRequestHeaders().getFirst("Transfer-Encoding");
      return coding != null && coding.equalsIgnoreCase("chunked") ? -1 : 0;
    }
    long declared;
    try {
      declared = Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      throw new HttpError(400, "bad Content-Length: " + length);
    }
    if (declared > maxBodyBytes) {
      throw tooLarge("the body has " + declared + " bytes");
    }
    return declared;
  }

  private HttpError tooLarge(String what) {
    return new HttpError(413, what + "; the limit is " + maxBodyBytes + " bytes");
  }

  private void reserve(long bytes) {
    for (long left = free.get(); ; left = free.get()) {
      if (left < bytes) {
        throw new HttpError(503, "the server holds too many request bodies right now; retry later");
      }
      if (free.compareAndSet(left, left - bytes)) {
        return;
      }
    }
  }
}
