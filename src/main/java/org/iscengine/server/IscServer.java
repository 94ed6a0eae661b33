package org.iscengine.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 * 413, a non-image 400, a full queue 503: none of them harms the service. {@link ErrorAnswers}
 * turns every other failure into a status by its kind; a bug gets 500 and a generic message.
 * {@link #stop} stops accepting, lets requests in flight finish, then closes the detector (which
 * syncs its log and writes a snapshot).
 *
 * <p>This class is the lifecycle (start, drain, stop) and the exchange of bytes; {@link Routes}
 * decides what a request is for and answers it, with bodies read by {@link Requests} and answered
 * as the records of {@link Responses}.
 */
public final class IscServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IscServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MAX_REQUEST_TIME = "sun.net.httpserver.maxReqTime";
  private static final String NO_DELAY = "sun.net.httpserver.nodelay";

  /**
   * @param host address to bind (default loopback)
   * @param port TCP port (0: any free one)
   * @param token API token (null: none; required when host is not loopback)
   * @param maxBodyBytes largest request body
   * @param threads request threads (requests beyond wait in the accept queue)
   * @param readTimeout longest time a client may take to send a request: the JVM enforces it when started
   *     with the matching {@code -Dsun.net.httpserver.maxReqTime}, and {@link #start} warns when not
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

  private final CopyDetector detector;
  private final Options options;
  private final HttpServer http;
  private final ExecutorService executor;
  private final Metrics metrics;
  private final Routes routes;
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
    this.routes = new Routes(detector, options, metrics, () -> ready);
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
    warnUnlessTheJvmIsTuned(options.readTimeout());
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

  /**
   * The JDK's server reads its settings from system properties once per JVM, when the first server
   * starts; setting them here would change every HTTP server of the process, and not even take effect
   * after the first. So the JVM is started with them (the {@code isc} launcher does): {@value #MAX_REQUEST_TIME}
   * cuts off a client that is slow to send, and {@value #NO_DELAY}{@code =true} sends responses without
   * Nagle's delay (headers and body are two writes; with the client's delayed ACK, every response
   * waited about 40 ms more on loopback).
   */
  private static void warnUnlessTheJvmIsTuned(Duration readTimeout) {
    String seconds = Long.toString(Math.max(1, readTimeout.toSeconds()));
    if (!seconds.equals(System.getProperty(MAX_REQUEST_TIME))) {
      log.warn("isc serve: the JVM cuts off slow clients after {} s, not {} s: start it with -D{}={}",
          System.getProperty(MAX_REQUEST_TIME, "(never)"), seconds, MAX_REQUEST_TIME, seconds);
    }
    if (!Boolean.parseBoolean(System.getProperty(NO_DELAY))) {
      log.warn("isc serve: responses may wait ~40 ms for Nagle's algorithm: start the JVM with -D{}=true", NO_DELAY);
    }
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
      route = Routes.of(exchange.getRequestURI().getRawPath());
      if (stopped && !route.equals("healthz")) {
        exchange.getResponseHeaders().set("Connection", "close");
        throw new HttpError(503, "shutting down");
      }
      Responses.Reply reply = routes.answer(route, exchange);
      status = reply.status();
      if (reply.body() instanceof Responses.Text text) {
        sendText(exchange, status, text.text());
      } else {
        sendJson(exchange, status, reply.body());
      }
    } catch (RuntimeException e) {
      ErrorAnswers.Answer answer = ErrorAnswers.of(e);
      status = answer.status();
      if (answer.internal()) {
        log.error("{} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
      }
      if (answer.retryLater()) {
        exchange.getResponseHeaders().set("Retry-After", "1");
      }
      sendJson(exchange, status, new Responses.Error(answer.message(), status));
    } finally {
      exchange.close();
      inFlight.decrementAndGet();
      metrics.request(route, status, (System.nanoTime() - t0) / 1e9);
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
