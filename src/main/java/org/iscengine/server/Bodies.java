package org.iscengine.server;

import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads request bodies within two bounds: the size of one body (413 beyond), and the memory all
 * bodies in flight take together (503 beyond, so that many large uploads at once are refused rather
 * than exhaust the heap). A declared length is reserved before any byte is read; a body of unknown
 * length (chunked) reserves as it arrives. A body is read whole into memory, or, given a
 * {@link Parser}, parsed as it arrives and never held: a JSON body is refused at its first wrong value,
 * before the rest of it is even sent. What a parser makes of a body (32-bit floats from numbers of at
 * least two bytes of text, "1,") takes at most twice its bytes, so that is what it reserves.
 */
final class Bodies {
  /** A body read, and the memory it holds until {@link #release}: its bytes, or what its parser made of them. */
  record Body(byte[] bytes, Object parsed, long reserved) {
    static final Body EMPTY = new Body(new byte[0], null, 0);
  }

  /** Reads a body from its stream as it arrives; refusals are {@link HttpError}s. */
  interface Parser {
    Object parse(InputStream body) throws IOException;
  }

  private final long maxBodyBytes;
  private final AtomicLong free;

  Bodies(long maxBodyBytes, long maxBytesInFlight) {
    this.maxBodyBytes = maxBodyBytes;
    this.free = new AtomicLong(maxBytesInFlight);
  }

  /** Reads a body whole into memory. */
  Body read(HttpExchange exchange) {
    return read(exchange, null);
  }

  /** Reads a body through a parser as it arrives (null: whole into memory). */
  Body read(HttpExchange exchange, Parser parser) {
    long declared = declaredLength(exchange);
    long reserved = 0;
    boolean done = false;
    // Left open: what a refused body leaves unread is drained (or the connection closed) when answering.
    InputStream in = exchange.getRequestBody();
    try {
      Body body;
      if (parser != null) {
        Reserving reading = new Reserving(in, declared);
        try {
          body = new Body(null, parser.parse(reading), reading.reserved);
        } catch (HttpError e) {
          if (e.status == 400) {  // a body over the limit is not read on: its connection is closed
            discard(in);
          }
          throw e;
        } finally {
          reserved = reading.reserved;
        }
      } else if (declared >= 0) {
        reserve(declared);
        reserved = declared;
        byte[] bytes = in.readNBytes((int) declared);
        if (bytes.length < declared) {
          throw new HttpError(400, "the body ended after " + bytes.length + " of its " + declared + " bytes");
        }
        body = new Body(bytes, null, reserved);
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
        body = new Body(out.toByteArray(), null, reserved);
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

  /**
   * Reads and drops what a parser refused before the end (up to the size limit, in a small buffer), so
   * that a client still sending gets its answer, not a connection reset under its feet.
   */
  private void discard(InputStream in) {
    byte[] sink = new byte[64 << 10];
    try {
      for (long left = maxBodyBytes; left > 0; ) {
        int n = in.read(sink, 0, (int) Math.min(sink.length, left));
        if (n < 0) {
          return;
        }
        left -= n;
      }
    } catch (IOException e) {
      // the client is gone: nothing to answer
    }
  }

  /** Gives back the memory of a body no longer needed. */
  void release(Body body) {
    free.addAndGet(body.reserved());
  }

  /**
   * The body as a parser reads it: twice a declared length reserved before the first byte, twice
   * each chunk of a chunked body as it arrives, up to the size limit.
   */
  private final class Reserving extends FilterInputStream {
    long reserved;
    private long read;

    Reserving(InputStream in, long declared) {
      super(in);
      if (declared > 0) {
        reserve(2 * declared);
        reserved = 2 * declared;
      }
      this.read = declared >= 0 ? -1 : 0;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0 && read >= 0) {  // chunked: counted and reserved as it comes
        if (read + n > maxBodyBytes) {
          throw tooLarge("the body is larger");
        }
        reserve(2L * n);
        reserved += 2L * n;
        read += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] skipped = new byte[(int) Math.min(n, 8192)];
      return Math.max(0, read(skipped, 0, skipped.length));
    }

    @Override
    public void close() {
      // left open, like the whole-body path: the answer drains what is left
    }
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
