package org.iscengine.fuzz;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * What the server reads from a request before anything else sees it (org.iscengine.server.Requests
 * and Multipart): the image of a raw or multipart body and the JSON bodies of the reference
 * routes. Every refusal must be an HttpError 400 or 413 (or a documented IscException /
 * IllegalArgumentException, which the server answers as such).
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ServerFuzzTest {
  /** The bodies tried stay under the server's default limit on the bytes it reads. */
  static final int MAX_LENGTH = 2 * 1024 * 1024;

  private static final Class<?> REQUESTS = Reflection.type("org.iscengine.server.Requests");
  private static final Class<?> HTTP_ERROR = Reflection.type("org.iscengine.server.HttpError");
  /** The descriptor dimension the JSON bodies are read for. */
  private static final int DIMENSION = 4;
  private static final Method IMAGE = Reflection.method(REQUESTS, "image", HttpExchange.class, byte[].class);
  private static final Method REFERENCE_BATCH =
      Reflection.method(REQUESTS, "referenceBatch", InputStream.class, int.class);
  private static final Method REFERENCE_DESCRIPTOR =
      Reflection.method(REQUESTS, "referenceDescriptor", InputStream.class, int.class);

  /**
   * A request body with its Content-Type: the input's first line (up to a LF) is the header's
   * value, the rest is the body. Exercises the multipart parser when the type is
   * multipart/form-data.
   */
  @FuzzTest
  void image(byte[] input) throws Exception {
    if (input.length > MAX_LENGTH) {
      return;
    }
    int lf = 0;
    while (lf < input.length && input[lf] != '\n') {
      lf++;
    }
    String contentType = new String(input, 0, lf, StandardCharsets.ISO_8859_1);
    byte[] body = java.util.Arrays.copyOfRange(input, Math.min(lf + 1, input.length), input.length);
    serverRefusesOrReads(() -> {
      byte[] image = (byte[]) Reflection.call(IMAGE, exchange(contentType, body), body);
      assertNotNull(image);
      assertTrue(image.length <= body.length, "the image is part of the body");
    });
  }

  /** A JSON body of POST /v1/references and of PUT /v1/references/{id}. */
  @FuzzTest
  void referencesJson(byte[] body) throws Exception {
    if (body.length > MAX_LENGTH) {
      return;
    }
    serverRefusesOrReads(() -> {
      Object batch = Reflection.call(REFERENCE_BATCH, new ByteArrayInputStream(body), DIMENSION);
      List<?> ids = (List<?>) Reflection.component(batch, "ids");
      List<?> descriptors = (List<?>) Reflection.component(batch, "descriptors");
      assertTrue(!ids.isEmpty() && ids.size() == descriptors.size(), "one descriptor per id");
      for (Object d : descriptors) {
        assertTrue(((float[]) d).length == DIMENSION, "descriptors have the dimension");
      }
    });
    serverRefusesOrReads(() -> {
      Object one = Reflection.call(REFERENCE_DESCRIPTOR, new ByteArrayInputStream(body), DIMENSION);
      assertTrue(((float[]) Reflection.component(one, "descriptor")).length == DIMENSION, "descriptors have the dimension");
    });
  }

  private static void serverRefusesOrReads(Contract.Read read) {
    Contract.refusesOrReads(() -> {
      try {
        read.run();
      } catch (RuntimeException e) {
        if (HTTP_ERROR.isInstance(e)) {
          Field status = HTTP_ERROR.getDeclaredField("status");
          status.setAccessible(true);
          int code = status.getInt(e);
          assertTrue(code == 400 || code == 413, "a request refused with status " + code + ": " + e.getMessage());
          return;
        }
        throw e;
      }
    });
  }

  private static HttpExchange exchange(String contentType, byte[] body) {
    Headers headers = new Headers();
    headers.add("Content-Type", contentType);
    headers.add("Content-Length", Integer.toString(body.length));
    return new FakeExchange(headers, body);
  }

  /** A POST with these headers and body, nothing else. */
  private static final class FakeExchange extends HttpExchange {
    private final Headers requestHeaders;
    private final InputStream body;
    private final Map<String, Object> attributes = new HashMap<>();

    FakeExchange(Headers requestHeaders, byte[] body) {
      this.requestHeaders = requestHeaders;
      this.body = new ByteArrayInputStream(body);
    }

    @Override
    public Headers getRequestHeaders() {
      return requestHeaders;
    }

    @Override
    public Headers getResponseHeaders() {
      return new Headers();
    }

    @Override
    public URI getRequestURI() {
      return URI.create("/v1/references");
    }

    @Override
    public String getRequestMethod() {
      return "POST";
    }

    @Override
    public HttpContext getHttpContext() {
      return null;
    }

    @Override
    public void close() {}

    @Override
    public InputStream getRequestBody() {
      return body;
    }

    @Override
    public OutputStream getResponseBody() {
      return new ByteArrayOutputStream();
    }

    @Override
    public void sendResponseHeaders(int rCode, long responseLength) {}

    @Override
    public InetSocketAddress getRemoteAddress() {
      return new InetSocketAddress("127.0.0.1", 1);
    }

    @Override
    public int getResponseCode() {
      return -1;
    }

    @Override
    public InetSocketAddress getLocalAddress() {
      return new InetSocketAddress("127.0.0.1", 2);
    }

    @Override
    public String getProtocol() {
      return "HTTP/1.1";
    }

    @Override
    public Object getAttribute(String name) {
      return attributes.get(name);
    }

    @Override
    public void setAttribute(String name, Object value) {
      attributes.put(name, value);
    }

    @Override
    public void setStreams(InputStream i, OutputStream o) {}

    @Override
    public HttpPrincipal getPrincipal() {
      return null;
    }
  }
}
