package org.iscengine.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.iscengine.detect.CopyDetector;
import org.iscengine.server.Responses.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The endpoints: which one a request is for, who may call it, and what the detector does for it. */
final class Routes {
  private static final int MAX_K = 1000;
  private static final String REFERENCE_PREFIX = "/v1/references/";
  private static final String THUMBNAIL_PREFIX = "/v1/thumbnails/";
  private static final Logger log = LoggerFactory.getLogger(Routes.class);
  /** The page: its script and style inline, nothing loaded from elsewhere, never framed by another site. */
  static final String PAGE = "try.html";
  private static final byte[] PAGE_BYTES = resource(PAGE);
  private static final String PAGE_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline';"
      + " img-src blob: data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

  private final CopyDetector detector;
  private final IscServer.Options options;
  private final Metrics metrics;
  private final BooleanSupplier ready;
  private final Thumbnails thumbnails;

  Routes(CopyDetector detector, IscServer.Options options, Metrics metrics, BooleanSupplier ready) {
    this.detector = detector;
    this.options = options;
    this.metrics = metrics;
    this.ready = ready;
    this.thumbnails = options.thumbnails() == null ? null : new Thumbnails(options.thumbnails());
  }

  /** A method on a path ({id}: the rest of the path, a reference id) and the route it belongs to. */
  record Endpoint(String method, String path, String route) {
    boolean matches(String requestPath) {
      if (!path.endsWith("{id}")) {
        return requestPath.equals(path);
      }
      String prefix = path.substring(0, path.length() - "{id}".length());
      return requestPath.startsWith(prefix) && requestPath.length() > prefix.length();
    }
  }

  /** Every endpoint the server answers: {@link #OPENAPI} describes exactly these, a test holds them equal. */
  static final List<Endpoint> ENDPOINTS = List.of(
      new Endpoint("GET", "/", "page"),
      new Endpoint("GET", "/healthz", "healthz"),
      new Endpoint("GET", "/readyz", "readyz"),
      new Endpoint("GET", "/metrics", "metrics"),
      new Endpoint("GET", "/v1/openapi.json", "openapi"),
      new Endpoint("GET", "/v1/info", "info"),
      new Endpoint("POST", "/v1/match", "match"),
      new Endpoint("POST", "/v1/describe", "describe"),
      new Endpoint("POST", "/v1/references", "references"),
      new Endpoint("PUT", REFERENCE_PREFIX + "{id}", "reference"),
      new Endpoint("DELETE", REFERENCE_PREFIX + "{id}", "reference"),
      new Endpoint("GET", THUMBNAIL_PREFIX + "{id}", "thumbnail"));

  /** The OpenAPI 3 document of the endpoints, kept beside this class. */
  static final String OPENAPI = "openapi.json";
  private static final JsonNode OPENAPI_DOCUMENT = readOpenApi();

  /** The route of a path, as metrics label it: "other" for none. */
  static String of(String path) {
    for (Endpoint e : ENDPOINTS) {
      if (e.matches(path)) {
        return e.route();
      }
    }
    return "other";
  }

  private static JsonNode readOpenApi() {
    try {
      return new ObjectMapper().readTree(resource(OPENAPI));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A file kept beside this class in the jar. */
  private static byte[] resource(String name) {
    try (InputStream in = Routes.class.getResourceAsStream(name)) {
      return Objects.requireNonNull(in, name + " is missing from the jar").readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether a route is guarded (token, host, origin): all but the health checks. */
  static boolean guarded(String route) {
    return !route.equals("healthz") && !route.equals("readyz");
  }

  /** Whether a route is answered at once, never queued behind the work of others. */
  static boolean light(String route) {
    return route.equals("healthz") || route.equals("readyz") || route.equals("metrics") || route.equals("openapi")
        || route.equals("page") || route.equals("thumbnail");
  }

  /**
   * Refuses, before its body is read, a request this caller may not make. Without a token the
   * server trusts whoever reaches it on loopback, so it makes sure that this is what happens: a
   * web page in a browser can send requests there too, to its own host name resolved to
   * 127.0.0.1 (DNS rebinding), or as a form or script from its own origin.
   */
  void admit(String route, HttpExchange exchange) {
    if (!guarded(route)) {
      return;
    }
    String host = exchange.getRequestHeaders().getFirst("Host");
    if (options.token() == null && !knownHost(host)) {
      throw new HttpError(421, "this server answers to loopback names" + (options.allowedHosts().isEmpty() ? ""
          : " and " + String.join(", ", options.allowedHosts())) + ", not to Host " + host);
    }
    String origin = exchange.getRequestHeaders().getFirst("Origin");
    if (origin != null && !(host != null && (origin.equalsIgnoreCase("http://" + host)
        || origin.equalsIgnoreCase("https://" + host)))) {
      throw new HttpError(403, "requests from the web pages of other origins are refused (Origin " + origin + ")");
    }
    authorise(exchange);
  }

  /** Whether a Host header names this server: localhost, a loopback address, or an allowed host (any port). */
  private boolean knownHost(String host) {
    if (host == null) {
      return false;
    }
    String name = host.trim().toLowerCase(Locale.ROOT);
    int portColon = name.startsWith("[") ? name.indexOf(']') + 1 : name.lastIndexOf(':');
    if (portColon > 0 && portColon < name.length()) {
      if (name.charAt(portColon) != ':' || !name.substring(portColon + 1).matches("[0-9]{1,5}")) {
        return false;
      }
      name = name.substring(0, portColon);
    }
    if (name.equals("localhost") || options.allowedHosts().stream().anyMatch(name::equalsIgnoreCase)) {
      return true;
    }
    // Address literals only: a name is never resolved, that is what a rebinding attack controls.
    boolean literal = name.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}") || name.matches("\\[[0-9a-f:.]+\\]");
    try {
      return literal && InetAddress.getByName(name.replace("[", "").replace("]", "")).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /**
   * How the body of a request is read, before it is queued: the JSON descriptors of the reference
   * endpoints are parsed as they arrive (so a wrong one is refused before the rest is sent, and a large
   * body is never held whole); null for the bytes, whole (images).
   */
  Bodies.Parser parser(String route, HttpExchange exchange) {
    String method = exchange.getRequestMethod();
    if (route.equals("references") && method.equals("POST")) {
      Requests.requireJson(exchange);
      return in -> Requests.referenceBatch(in, detector.dimension());
    }
    if (route.equals("reference") && method.equals("PUT") && Requests.mediaType(exchange).equals("application/json")) {
      return in -> Requests.referenceDescriptor(in, detector.dimension());
    }
    return null;
  }

  /**
   * Refuses, once the body is read and before the request waits for a request thread, what needs no
   * detector work to refuse: an image whose header is over the limits or in no supported format, a
   * reference id that is not well-formed. Under load such requests are answered at once, not after
   * the queued work of others. The answer checks them again.
   */
  void check(String route, HttpExchange exchange, Bodies.Body body) {
    String method = exchange.getRequestMethod();
    boolean reference = route.equals("reference");
    if (reference) {
      Requests.pathId(exchange.getRequestURI().getRawPath().substring(REFERENCE_PREFIX.length()));
    }
    boolean image = body.parsed() == null && (reference ? method.equals("PUT")
        : (route.equals("match") || route.equals("describe")) && method.equals("POST"));
    if (image) {
      detector.checkImage(Requests.image(exchange, body.bytes()));
    }
  }

  Reply answer(String route, HttpExchange exchange, Bodies.Body body) {
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getRawPath();
    requireMethod(route, method, exchange);
    return switch (route) {
      case "healthz" -> Reply.ok(new Responses.Health("ok"));
      case "readyz" -> {
        if (!ready.getAsBoolean()) {
          throw new HttpError(503, "not ready: shutting down");
        }
        String storeFailure = detector.storeFailure().orElse(null);
        if (storeFailure != null) {
          throw new HttpError(503, "not ready: the reference store accepts no changes: " + storeFailure);
        }
        yield Reply.ok(new Responses.Ready("ready", references()));
      }
      case "metrics" -> {
        yield Reply.ok(new Responses.Text(metrics.render()));
      }
      case "openapi" -> Reply.ok(OPENAPI_DOCUMENT);
      case "page" -> {
        if (!options.ui()) {
          throw new HttpError(404, "no page here: isc serve shows one when started with --ui");
        }
        exchange.getResponseHeaders().set("Content-Security-Policy", PAGE_POLICY);
        exchange.getResponseHeaders().set("X-Frame-Options", "DENY");
        yield Reply.ok(new Responses.Bytes("text/html; charset=utf-8", PAGE_BYTES));
      }
      case "thumbnail" -> {
        String id = Requests.pathId(path.substring(THUMBNAIL_PREFIX.length()));
        byte[] jpeg = (thumbnails == null ? java.util.Optional.<byte[]>empty() : thumbnails.get(id))
            .orElseThrow(() -> new HttpError(404, "no thumbnail of reference " + id + (thumbnails == null
                ? ": isc serve keeps them when started with --thumbnails" : "")));
        yield Reply.ok(new Responses.Bytes("image/jpeg", jpeg));
      }
      case "info" -> {
        yield Reply.ok(new Responses.Info(options.modelName(), detector.dimension(), references(),
            detector.defaultThreshold()));
      }
      case "match" -> {
        yield Reply.ok(match(exchange, body.bytes()));
      }
      case "describe" -> {
        float[] d = detector.describe(Requests.image(exchange, body.bytes()));
        yield Reply.ok(new Responses.Described(d.length, d));
      }
      case "reference" -> reference(exchange, method, path, body);
      case "references" -> {
        Requests.ReferenceBatch batch = (Requests.ReferenceBatch) body.parsed();
        detector.addReferenceDescriptors(batch.ids(), batch.descriptors());
        yield Reply.created(new Responses.AddedMany(batch.ids().size(), references()));
      }
      default -> throw new HttpError(404, "no such endpoint: " + method + " " + path);
    };
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

  private Responses.Matches match(HttpExchange exchange, byte[] body) {
    Map<String, String> query = Requests.query(exchange);
    int k = Requests.intParameter(query, "k", 10, 1, MAX_K);
    double threshold = Requests.doubleParameter(query, "threshold", detector.defaultThreshold());
    CopyDetector.Matches m = detector.match(Requests.image(exchange, body), k, threshold);
    List<Responses.Match> matches = m.matches().stream()
        .map(x -> new Responses.Match(x.id(), x.score(), x.score() >= threshold)).toList();
    return new Responses.Matches(m.isCopy(), threshold, matches);
  }

  private Reply reference(HttpExchange exchange, String method, String path, Bodies.Body body) {
    String id = Requests.pathId(path.substring(REFERENCE_PREFIX.length()));
    switch (method) {
      case "PUT" -> {
        if (body.parsed() instanceof Requests.ReferenceDescriptor sent) {
          detector.addReference(id, sent.descriptor());
          keepThumbnail(id, null);
        } else {
          byte[] image = Requests.image(exchange, body.bytes());
          detector.addReference(id, image);
          keepThumbnail(id, image);
        }
        return Reply.created(new Responses.Added(id, references()));
      }
      case "DELETE" -> {
        if (!detector.remove(id)) {
          throw new HttpError(404, "no reference with id " + id);
        }
        keepThumbnail(id, null);
        return Reply.ok(new Responses.Removed(id, true, references()));
      }
      default -> throw new IllegalStateException("no endpoint " + method + " " + REFERENCE_PREFIX + "{id}");
    }
  }

  /**
   * After a reference changed: its thumbnail made from the image (null: removed). The reference is
   * already durable, so a thumbnail that cannot be written is logged, not answered as a failure.
   */
  private void keepThumbnail(String id, byte[] image) {
    if (thumbnails == null) {
      return;
    }
    try {
      if (image == null) {
        thumbnails.remove(id);
      } else {
        thumbnails.put(id, image);
      }
    } catch (RuntimeException e) {
      log.warn("reference {}: its thumbnail was not {}: {}", id, image == null ? "removed" : "kept", e.toString());
    }
  }

  /** Refuses (405, naming the methods it has, also in Allow) a method a route does not have. */
  private static void requireMethod(String route, String method, HttpExchange exchange) {
    List<Endpoint> of = ENDPOINTS.stream().filter(e -> e.route().equals(route)).toList();
    if (!of.isEmpty() && of.stream().noneMatch(e -> e.method().equals(method))) {
      String methods = String.join(", ", of.stream().map(Endpoint::method).toList());
      exchange.getResponseHeaders().set("Allow", methods);
      throw new HttpError(405, "use " + methods.replace(", ", " or ") + " on " + of.get(0).path() + ", not " + method);
    }
  }

  private long references() {
    return detector.size();
  }
}
