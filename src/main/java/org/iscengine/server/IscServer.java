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
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
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
 * {@code Authorization: Bearer TOKEN}; health checks need none). Without a token, only loopback Host
 * names (and the allowed hosts) are answered (421 otherwise), and a request from a web page of
 * another origin is refused (403), so that a browser cannot be used to reach the server. Bodies
 * above the size limit get 413, a non-image 400, a full queue or too many bodies in memory 503:
 * none of them harms the service. Connections are read (headers and body) on many connection
 * threads, so that slow clients do not hold up the few request threads. {@link ErrorAnswers} turns
 * every other failure into a status by its kind; a failure on the server's side gets a generic
 * message and an error id, its detail goes to the log.
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
  /** Connections being read at once (headers and body); clients slow to send wait here, not on a request thread. */
  private static final int CONNECTION_THREADS = 256;

  /**
   * @param host address to bind (default loopback)
   * @param port TCP port (0: any free one)
   * @param token API token (null: none; required when host is not loopback)
   * @param maxBodyBytes largest request body
   * @param threads request threads (up to {@code maxQueuedRequests} more requests wait; beyond, 503)
   * @param readTimeout longest time a client may take to send a request: the JVM enforces it when started
   *     with the matching {@code -Dsun.net.httpserver.maxReqTime}, and {@link #start} warns when not
   * @param drain how long {@link #stop} waits for requests in flight
   * @param modelName shown by /v1/info
   * @param allowedHosts host names a server without a token answers besides the loopback ones (in the
   *     {@code Host} header), e.g. the name it is reached by through a proxy
   * @param maxQueuedRequests requests that may wait for a request thread; beyond, 503
   * @param maxBodyBytesInFlight request bodies held in memory at once, all requests together; beyond, 503
   * @param ui whether {@code GET /} serves the page to try the service
   * @param thumbnails folder of the small pictures kept of references added as images (null: none kept)
   * @param maxQueueWait how long a request may wait for a request thread; a queue whose oldest request
   *     waited a quarter of it serves the newest first, and a request that waited longer gets 503
   *     ({@link RequestQueue})
   */
  public record Options(String host, int port, String token, long maxBodyBytes, int threads, Duration readTimeout,
      Duration drain, String modelName, List<String> allowedHosts, int maxQueuedRequests, long maxBodyBytesInFlight,
      boolean ui, Path thumbnails, Duration maxQueueWait) {
    /** Default memory for request bodies in flight: a dozen of the default 20 MiB bodies. */
    public static final long DEFAULT_BODY_BYTES_IN_FLIGHT = 256L << 20;
    /** Default wait for a request thread: half the 200 ms a client waiting on a match should see at most. */
    public static final Duration DEFAULT_MAX_QUEUE_WAIT = Duration.ofMillis(100);

    public Options {
      if (port < 0 || port > 65535 || maxBodyBytes < 1 || threads < 1 || maxQueuedRequests < 1) {
        throw new IllegalArgumentException("port in [0, 65535], maxBodyBytes, threads and maxQueuedRequests >= 1");
      }
      if (maxBodyBytesInFlight < maxBodyBytes) {
        throw new IllegalArgumentException("the memory for bodies in flight (" + maxBodyBytesInFlight
            + " bytes) must hold at least one body of the largest size (" + maxBodyBytes + ")");
      }
      if (token != null && token.isBlank()) {
        throw new IllegalArgumentException("the API token is empty");
      }
      allowedHosts = List.copyOf(allowedHosts);
      if (maxQueueWait.isNegative() || maxQueueWait.isZero()) {
        throw new IllegalArgumentException("the longest wait for a request thread must be positive, got " + maxQueueWait);
      }
    }

    /** No page and no thumbnails. */
    public Options(String host, int port, String token, long maxBodyBytes, int threads, Duration readTimeout,
        Duration drain, String modelName, List<String> allowedHosts, int maxQueuedRequests, long maxBodyBytesInFlight) {
      this(host, port, token, maxBodyBytes, threads, readTimeout, drain, modelName, allowedHosts, maxQueuedRequests,
          maxBodyBytesInFlight, false, null, DEFAULT_MAX_QUEUE_WAIT);
    }

    /** The same options with the page on or off and thumbnails kept in a folder (or not: null). */
    public Options withPage(boolean page, Path thumbnailFolder) {
      return new Options(host, port, token, maxBodyBytes, threads, readTimeout, drain, modelName, allowedHosts,
          maxQueuedRequests, maxBodyBytesInFlight, page, thumbnailFolder, maxQueueWait);
    }

    /** The same options with another longest wait for a request thread. */
    public Options withMaxQueueWait(Duration wait) {
      return new Options(host, port, token, maxBodyBytes, threads, readTimeout, drain, modelName, allowedHosts,
          maxQueuedRequests, maxBodyBytesInFlight, ui, thumbnails, wait);
    }

    /** No allowed hosts beyond loopback, four waiting requests per thread, the default body memory. */
    public Options(String host, int port, String token, long maxBodyBytes, int threads, Duration readTimeout,
        Duration drain, String modelName) {
      this(host, port, token, maxBodyBytes, threads, readTimeout, drain, modelName, List.of(), 4 * threads,
          Math.max(maxBodyBytes, DEFAULT_BODY_BYTES_IN_FLIGHT));
    }
  }

  private final CopyDetector detector;
  private final Options options;
  private final HttpServer http;
  private final ExecutorService connections;
  private final ExecutorService workers;
  private final RequestQueue waiting;
  private final Bodies bodies;
  private final Metrics metrics;
  private final Routes routes;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean ready;
  private volatile boolean stopped;

  private IscServer(CopyDetector detector, Options options, HttpServer http, ExecutorService connections,
      ExecutorService workers, RequestQueue waiting, Metrics metrics) {
    this.metrics = metrics;
    this.detector = detector;
    this.options = options;
    this.http = http;
    this.connections = connections;
    this.workers = workers;
    this.waiting = waiting;
    this.bodies = new Bodies(options.maxBodyBytes(), options.maxBodyBytesInFlight());
    this.routes = new Routes(detector, options, metrics, () -> ready);
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
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
    // Connection threads wait for slow clients (cut off by maxReqTime); beyond them a new connection is closed.
    ThreadPoolExecutor connections = new ThreadPoolExecutor(CONNECTION_THREADS, CONNECTION_THREADS, 30,
        TimeUnit.SECONDS, new SynchronousQueue<>(), daemon("isc-http-connection"));
    connections.allowCoreThreadTimeOut(true);
    RequestQueue waiting = new RequestQueue(options.maxQueuedRequests(), options.maxQueueWait(), System::nanoTime);
    ThreadPoolExecutor workers = new ThreadPoolExecutor(options.threads(), options.threads(), 0, TimeUnit.SECONDS,
        waiting, daemon("isc-http"));
    IscServer server = new IscServer(detector, options, http, connections, workers, waiting, metrics);
    server.metrics.gauge("isc_queue_depth", "Images waiting for the network.", detector::queued);
    server.metrics.gauge("isc_references", "References in the index.", detector::size);
    server.metrics.gauge("isc_requests_in_flight", "HTTP requests being answered.", server.inFlight::get);
    http.createContext("/", server::handle);
    http.setExecutor(connections);
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

  /**
   * Runs on a connection thread, once the JDK's server has read the request's headers: checks who
   * may call, reads the body (bounded), then queues the answer for a request thread, or answers 503
   * at once when the queue is full. The connection threads are many, so that clients slow to send
   * do not hold up the request threads, which are few.
   */
  private void handle(HttpExchange exchange) {
    long t0 = System.nanoTime();
    inFlight.incrementAndGet();
    String route = Routes.of(exchange.getRequestURI().getRawPath());
    Bodies.Body body = Bodies.Body.EMPTY;
    try {
      if (stopped && !route.equals("healthz")) {
        exchange.getResponseHeaders().set("Connection", "close");
        throw new HttpError(503, "shutting down");
      }
      routes.admit(route, exchange);
      body = bodies.read(exchange, routes.parser(route, exchange));
      Bodies.Body read = body;
      routes.check(route, exchange, read);
      if (Routes.light(route)) {
        finish(exchange, route, t0, read);
        return;
      }
      try {
        workers.execute(waiting.entry(() -> finish(exchange, route, t0, read), () -> finish(exchange, route, t0, read,
            () -> {
              throw new HttpError(503, "waited too long for a request thread (the server is congested); retry later");
            })));
      } catch (RejectedExecutionException e) {
        throw new HttpError(503, "too many requests waiting; retry later");
      }
    } catch (RuntimeException | Error e) {
      Bodies.Body read = body;
      finish(exchange, route, t0, read, () -> {
        throw e;
      });
    }
  }

  private void finish(HttpExchange exchange, String route, long t0, Bodies.Body body) {
    finish(exchange, route, t0, body, () -> routes.answer(route, exchange, body));
  }

  /** Answers a request (its reply, or its failure through {@link ErrorAnswers}) and frees what it held. */
  private void finish(HttpExchange exchange, String route, long t0, Bodies.Body body, Supplier<Responses.Reply> reply) {
    int status = 500;
    try {
      Responses.Reply answered = reply.get();
      status = answered.status();
      if (answered.body() instanceof Responses.Text text) {
        sendText(exchange, status, text.text());
      } else if (answered.body() instanceof Responses.Bytes bytes) {
        send(exchange, status, bytes.contentType(), bytes.bytes());
      } else {
        sendJson(exchange, status, answered.body());
      }
    } catch (RuntimeException | Error e) {
      ErrorAnswers.Answer answer = ErrorAnswers.of(e);
      status = answer.status();
      if (answer.internal()) {
        log.error("{} {} failed (error {})", exchange.getRequestMethod(), exchange.getRequestURI(), answer.errorId(), e);
      } else if (answer.errorId() != null) {
        log.warn("{} {} answered {} (error {}): {}", exchange.getRequestMethod(), exchange.getRequestURI(), status,
            answer.errorId(), e.toString());
      }
      if (answer.retryLater()) {
        exchange.getResponseHeaders().set("Retry-After", "1");
      }
      sendJson(exchange, status, new Responses.Error(answer.message(), status, answer.errorId()));
    } finally {
      bodies.release(body);
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

  /**
   * Reads what is left of a request body (up to 1 MiB), so that the connection can be reused; when
   * more is left, the connection is closed after the answer, which the client is told.
   */
  private static void drain(HttpExchange exchange) {
    boolean all = false;
    try (InputStream in = exchange.getRequestBody()) {
      byte[] sink = new byte[8192];
      long left = 1L << 20;
      int n = 0;
      while (left > 0 && (n = in.read(sink)) >= 0) {
        left -= n;
      }
      all = n < 0;
    } catch (IOException ignored) {
      // the client closed the connection
    }
    if (!all) {
      exchange.getResponseHeaders().set("Connection", "close");
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
    connections.shutdown();
    workers.shutdown();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
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
