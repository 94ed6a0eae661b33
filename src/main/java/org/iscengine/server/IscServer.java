package org.iscengine.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.iscengine.detect.CopyDetector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code isc serve}: the copy detector over HTTP/JSON (the JDK's built-in HTTP server).
 *
 * <pre>
 * POST   /v1/match?k=10&amp;threshold=0.5   image bytes or multipart (part "image") -> matches
 * POST   /v1/describe                      image -> descriptor
 * PUT    /v1/references/{id}               image, or JSON {"descriptor": [...]} -> added
 * POST   /v1/references                    JSON {"references": [{"id", "descriptor"}, ...]} -> added
 * DELETE /v1/references/{id}               -> removed (404 if unknown)
 * GET    /v1/info                          model, dimension, references
 * GET    /healthz /readyz /metrics         liveness, readiness, Prometheus metrics
 * </pre>
 *
 * <p>Binds to loopback unless told otherwise; any other address needs an API token (sent as
 * {@code Authorization: Bearer TOKEN}; health checks need none). Bodies above the size limit get
 * 413, a non-image 400, a full queue 503: none of them harms the service. {@link #stop} stops
 * accepting, lets requests in flight finish, then closes the detector (which syncs its log and
 * writes a snapshot).
 */
public final class IscServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IscServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_K = 1000;

  /**
   * @param host address to bind (default loopback)
   * @param port TCP port (0: any free one)
   * @param token API token (null: none; required when host is not loopback)
   * @param maxBodyBytes largest request body
   * @param threads request threads (requests beyond wait in the accept queue)
   * @param readTimeout longest time a client may take to send a request
   * @param drain how long {@link #stop} waits for requests in flight
   * @param modelName shown by /v1/info
   */
  public record Options(String host, int port, String token, long maxBodyBytes, int threads, Duration readTimeout,
      Duration drain, String modelName) {
    public Options {
      if (port < 0 || port > 65535 || maxBodyBytes < 1 || threads < 1) {
        throw new IllegalArgumentException("port in [0, 65535], maxBodyBytes and threads >= 1");
      }
      if (token != null && token.isBlank()) {
        throw new IllegalArgumentException("the API token is empty");
      }
    }
  }

  /** An error answered with a status and a JSON message. */
  private static final class HttpError extends RuntimeException {
    final int status;

    HttpError(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private final CopyDetector detector;
  private final Options options;
  private final HttpServer http;
  private final ExecutorService executor;
  private final Metrics metrics;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean ready;
  private volatile boolean stopped;

  private IscServer(CopyDetector detector, Options options, HttpServer http, ExecutorService executor,
      Metrics metrics) {
    this.metrics = metrics;
    this.detector = detector;
    this.options = options;
    this.http = http;
    this.executor = executor;
  }

  /**
   * Starts serving a detector (which the server then owns and closes on {@link #stop}).
   *
   * @param metrics where requests are counted; give the detector its {@link Metrics#batch} and {@link Metrics#stage} too
   *
   * @throws IllegalArgumentException for a non-loopback address without a token
   */
  public static IscServer start(CopyDetector detector, Options options, Metrics metrics) {
    InetAddress address;
    try {
      address = InetAddress.getByName(options.host());
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot resolve the bind address " + options.host() + ": " + e.getMessage());
    }
    if (!address.isLoopbackAddress() && options.token() == null) {
      throw new IllegalArgumentException("binding to " + options.host() + " (not loopback) needs an API token:"
          + " pass --token-file");
    }
    // Read by the JDK's server when it is first used: a client that is slow to send is cut off, and
    // responses leave without Nagle's delay (headers and body are two writes; with Nagle and the
    // client's delayed ACK, every response waited about 40 ms more on loopback).
    System.setProperty("sun.net.httpserver.maxReqTime", Long.toString(Math.max(1, options.readTimeout().toSeconds())));
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer http;
    try {
      http = HttpServer.create(new InetSocketAddress(address, options.port()), 128);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot listen on " + options.host() + ":" + options.port() + ": "
          + e.getMessage(), e);
    }
    ExecutorService executor = Executors.newFixedThreadPool(options.threads(), r -> {
      Thread t = new Thread(r, "isc-http");
      t.setDaemon(true);
      return t;
    });
    IscServer server = new IscServer(detector, options, http, executor, metrics);
    server.metrics.gauge("isc_queue_depth", "Images waiting for the network.", detector::queued);
    server.metrics.gauge("isc_references", "References in the index.", detector::size);
    server.metrics.gauge("isc_requests_in_flight", "HTTP requests being answered.", server.inFlight::get);
    http.createContext("/", server::handle);
    http.setExecutor(executor);
    http.start();
    server.ready = true;
    log.info("isc serve: listening on http://{}:{}/ ({} references)", options.host(), server.port(), detector.size());
    return server;
  }

  /** The port listened on (the chosen one when started with 0). */
  public int port() {
    return http.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) {
    long t0 = System.nanoTime();
    inFlight.incrementAndGet();
    String route = "other";
    int status = 500;
    try {
      String path = exchange.getRequestURI().getRawPath();
      String method = exchange.getRequestMethod();
      route = route(path);
      if (stopped && !route.equals("healthz")) {
        exchange.getResponseHeaders().set("Connection", "close");
        throw new HttpError(503, "shutting down");
      }
      if (!route.equals("healthz") && !route.equals("readyz")) {
        authorise(exchange);
      }
      Object body = switch (route) {
        case "healthz" -> Map.of("status", "ok");
        case "readyz" -> {
          if (!ready) {
            throw new HttpError(503, "not ready: shutting down");
          }
          yield Map.of("status", "ready", "references", detector.size());
        }
        case "metrics" -> {
          requireMethod(method, "GET");
          sendText(exchange, 200, metrics.render());
          status = 200;
          yield null;
        }
        case "info" -> {
          requireMethod(method, "GET");
          yield Map.of("model", options.modelName(), "dimension", detector.dimension(), "references", detector.size(),
              "threshold", detector.defaultThreshold());
        }
        case "match" -> match(exchange, method);
        case "describe" -> {
          requireMethod(method, "POST");
          float[] d = detector.describe(image(exchange));
          yield Map.of("dimension", d.length, "descriptor", d);
        }
        case "reference" -> reference(exchange, method, path);
        case "references" -> {
          requireMethod(method, "POST");
          yield addMany(exchange);
        }
        default -> throw new HttpError(404, "no such endpoint: " + method + " " + path);
      };
      if (body != null) {
        status = body instanceof Created ? 201 : 200;
        sendJson(exchange, status, body instanceof Created c ? c.body() : body);
      }
    } catch (HttpError e) {
      status = e.status;
      sendError(exchange, status, e.getMessage());
    } catch (RejectedExecutionException e) {
      status = 503;
      exchange.getResponseHeaders().set("Retry-After", "1");
      sendError(exchange, status, "overloaded: " + e.getMessage());
    } catch (IllegalArgumentException e) {  // a bad image, id, descriptor or parameter
      status = 400;
      sendError(exchange, status, e.getMessage());
    } catch (RuntimeException e) {
      status = 500;
      log.error("{} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString(), e);
      sendError(exchange, status, "internal error: " + e.getMessage());
    } finally {
      exchange.close();
      inFlight.decrementAndGet();
      metrics.request(route, status, (System.nanoTime() - t0) / 1e9);
    }
  }

  private record Created(Object body) {}

  private static String route(String path) {
    if (path.equals("/healthz") || path.equals("/readyz") || path.equals("/metrics")) {
      return path.substring(1);
    }
    if (path.equals("/v1/match") || path.equals("/v1/describe") || path.equals("/v1/info")
        || path.equals("/v1/references")) {
      return path.substring(4);
    }
    if (path.startsWith("/v1/references/") && path.length() > "/v1/references/".length()) {
      return "reference";
    }
    return "other";
  }

  private void authorise(HttpExchange exchange) {
    if (options.token() == null) {
      return;
    }
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    byte[] given = header != null && header.startsWith("Bearer ") ? header.substring(7).getBytes(StandardCharsets.UTF_8)
        : new byte[0];
    if (!MessageDigest.isEqual(given, options.token().getBytes(StandardCharsets.UTF_8))) {
      exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
      throw new HttpError(401, "missing or wrong API token (send Authorization: Bearer TOKEN)");
    }
  }

  private Object match(HttpExchange exchange, String method) {
    requireMethod(method, "POST");
    Map<String, String> query = query(exchange);
    int k = intParameter(query, "k", 10, 1, MAX_K);
    double threshold = doubleParameter(query, "threshold", detector.defaultThreshold());
    CopyDetector.Matches m = detector.match(image(exchange), k, threshold);
    List<Map<String, Object>> matches = new ArrayList<>();
    for (CopyDetector.Match x : m.matches()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("id", x.id());
      row.put("score", x.score());
      row.put("copy", x.score() >= threshold);
      matches.add(row);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("isCopy", m.isCopy());
    out.put("threshold", threshold);
    out.put("matches", matches);
    return out;
  }

  private Object reference(HttpExchange exchange, String method, String path) {
    String id = URLDecoder.decode(path.substring("/v1/references/".length()), StandardCharsets.UTF_8);
    switch (method) {
      case "PUT" -> {
        String type = contentType(exchange);
        if (type.startsWith("application/json")) {
          JsonNode json = json(exchange);
          detector.addReference(id, descriptor(json.path("descriptor"), "descriptor"));
        } else {
          detector.addReference(id, image(exchange));
        }
        return new Created(Map.of("id", id, "references", detector.size()));
      }
      case "DELETE" -> {
        if (!detector.remove(id)) {
          throw new HttpError(404, "no reference with id " + id);
        }
        return Map.of("id", id, "removed", true, "references", detector.size());
      }
      default -> throw new HttpError(405, "use PUT or DELETE on /v1/references/{id}, not " + method);
    }
  }

  private Object addMany(HttpExchange exchange) {
    JsonNode refs = json(exchange).path("references");
    if (!refs.isArray() || refs.isEmpty()) {
      throw new HttpError(400, "expected {\"references\": [{\"id\": ..., \"descriptor\": [...]}, ...]}");
    }
    List<String> ids = new ArrayList<>(refs.size());
    List<float[]> descriptors = new ArrayList<>(refs.size());
    for (int i = 0; i < refs.size(); i++) {
      JsonNode r = refs.get(i);
      if (!r.path("id").isTextual()) {
        throw new HttpError(400, "references[" + i + "]: 'id' must be a string");
      }
      ids.add(r.get("id").asText());
      descriptors.add(descriptor(r.path("descriptor"), "references[" + i + "].descriptor"));
    }
    detector.addReferenceDescriptors(ids, descriptors);
    return new Created(Map.of("added", ids.size(), "references", detector.size()));
  }

  private static float[] descriptor(JsonNode node, String what) {
    if (!node.isArray() || node.isEmpty()) {
      throw new HttpError(400, what + " must be a non-empty array of numbers");
    }
    float[] out = new float[node.size()];
    for (int i = 0; i < out.length; i++) {
      if (!node.get(i).isNumber()) {
        throw new HttpError(400, what + "[" + i + "] is not a number");
      }
      out[i] = (float) node.get(i).asDouble();
    }
    return out;
  }

  /** The image of a request: the raw body, or the "image" part (else the first file part) of a multipart body. */
  private byte[] image(HttpExchange exchange) {
    String type = contentType(exchange);
    byte[] body = body(exchange);
    if (type.startsWith("multipart/form-data")) {
      return Multipart.image(type, body);
    }
    if (body.length == 0) {
      throw new HttpError(400, "the request has no body: send the image bytes, or multipart/form-data with an"
          + " 'image' part");
    }
    return body;
  }

  private JsonNode json(HttpExchange exchange) {
    try {
      return JSON.readTree(body(exchange));
    } catch (IOException e) {
      throw new HttpError(400, "the body is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
  }

  private byte[] body(HttpExchange exchange) {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      try {
        if (Long.parseLong(length.trim()) > options.maxBodyBytes()) {
          throw new HttpError(413, "the body has " + length.trim() + " bytes; the limit is " + options.maxBodyBytes());
        }
      } catch (NumberFormatException e) {
        throw new HttpError(400, "bad Content-Length: " + length);
      }
    }
    try (InputStream in = exchange.getRequestBody()) {
      byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, options.maxBodyBytes() + 1));
      if (data.length > options.maxBodyBytes()) {
        throw new HttpError(413, "the body is larger than the limit of " + options.maxBodyBytes() + " bytes");
      }
      return data;
    } catch (IOException e) {
      throw new HttpError(400, "cannot read the request body: " + e.getMessage());
    }
  }

  private static String contentType(HttpExchange exchange) {
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    return type == null ? "" : type.trim().toLowerCase(java.util.Locale.ROOT);
  }

  private static Map<String, String> query(HttpExchange exchange) {
    Map<String, String> out = new LinkedHashMap<>();
    String raw = exchange.getRequestURI().getRawQuery();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      out.put(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return out;
  }

  private static int intParameter(Map<String, String> query, String name, int fallback, int min, int max) {
    String v = query.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      int x = Integer.parseInt(v);
      if (x < min || x > max) {
        throw new HttpError(400, "parameter " + name + " must be in [" + min + ", " + max + "], got " + v);
      }
      return x;
    } catch (NumberFormatException e) {
      throw new HttpError(400, "parameter " + name + " must be an integer, got '" + v + "'");
    }
  }

  private static double doubleParameter(Map<String, String> query, String name, double fallback) {
    String v = query.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      double x = Double.parseDouble(v);
      if (!Double.isFinite(x)) {
        throw new NumberFormatException();
      }
      return x;
    } catch (NumberFormatException e) {
      throw new HttpError(400, "parameter " + name + " must be a finite number, got '" + v + "'");
    }
  }

  private static void requireMethod(String method, String wanted) {
    if (!method.equals(wanted)) {
      throw new HttpError(405, "use " + wanted + ", not " + method);
    }
  }

  private static void sendJson(HttpExchange exchange, int status, Object body) {
    try {
      send(exchange, status, "application/json", JSON.writeValueAsBytes(body));
    } catch (IOException e) {
      log.debug("response not sent: {}", e.getMessage());
    }
  }

  private static void sendText(HttpExchange exchange, int status, String text) {
    send(exchange, status, "text/plain; version=0.0.4; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
  }

  private static void sendError(HttpExchange exchange, int status, String message) {
    sendJson(exchange, status, Map.of("error", message == null ? "error" : message, "status", status));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body) {
    try {
      drain(exchange);
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } catch (IOException e) {
      log.debug("response not sent (client gone?): {}", e.getMessage());
    }
  }

  /** Reads what is left of a request body (bounded), so that the connection can be reused. */
  private static void drain(HttpExchange exchange) {
    try (InputStream in = exchange.getRequestBody()) {
      byte[] sink = new byte[8192];
      long left = 1L << 20;
      for (int n; left > 0 && (n = in.read(sink)) > 0; ) {
        left -= n;
      }
    } catch (IOException ignored) {
      // the client closed the connection
    }
  }

  /**
   * Stops accepting, waits (up to the drain time) for requests in flight, then closes the
   * detector: its log is synced and a snapshot written.
   */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;  // new requests get 503 from now on
    ready = false;
    log.info("isc serve: stopping ({} requests in flight)", inFlight.get());
    long deadline = System.nanoTime() + options.drain().toNanos();
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (inFlight.get() > 0) {
      log.warn("isc serve: {} requests still running after {} s; closing anyway", inFlight.get(),
          options.drain().toSeconds());
    }
    http.stop(0);
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    detector.close();
    log.info("isc serve: stopped");
  }

  @Override
  public void close() {
    stop();
  }
}
