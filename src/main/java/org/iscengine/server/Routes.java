package org.iscengine.server;

import com.sun.net.httpserver.HttpExchange;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.iscengine.detect.CopyDetector;
import org.iscengine.server.Responses.Reply;

/** The endpoints: which one a request is for, who may call it, and what the detector does for it. */
final class Routes {
  private static final int MAX_K = 1000;
  private static final String REFERENCE_PREFIX = "/v1/references/";

  private final CopyDetector detector;
  private final IscServer.Options options;
  private final Metrics metrics;
  private final BooleanSupplier ready;

  Routes(CopyDetector detector, IscServer.Options options, Metrics metrics, BooleanSupplier ready) {
    this.detector = detector;
    this.options = options;
    this.metrics = metrics;
    this.ready = ready;
  }

  /** The route of a path, as metrics label it: "other" for none. */
  static String of(String path) {
    if (path.equals("/healthz") || path.equals("/readyz") || path.equals("/metrics")) {
      return path.substring(1);
    }
    if (path.equals("/v1/match") || path.equals("/v1/describe") || path.equals("/v1/info")
        || path.equals("/v1/references")) {
      return path.substring(4);
    }
    if (path.startsWith(REFERENCE_PREFIX) && path.length() > REFERENCE_PREFIX.length()) {
      return "reference";
    }
    return "other";
  }

  /** Whether a route needs the API token (all but the health checks). */
  static boolean needsToken(String route) {
    return !route.equals("healthz") && !route.equals("readyz");
  }

  Reply answer(String route, HttpExchange exchange) {
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getRawPath();
    if (needsToken(route)) {
      authorise(exchange);
    }
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
        requireMethod(method, "GET");
        yield Reply.ok(new Responses.Text(metrics.render()));
      }
      case "info" -> {
        requireMethod(method, "GET");
        yield Reply.ok(new Responses.Info(options.modelName(), detector.dimension(), references(),
            detector.defaultThreshold()));
      }
      case "match" -> {
        requireMethod(method, "POST");
        yield Reply.ok(match(exchange));
      }
      case "describe" -> {
        requireMethod(method, "POST");
        float[] d = detector.describe(Requests.image(exchange, options.maxBodyBytes()));
        yield Reply.ok(new Responses.Described(d.length, d));
      }
      case "reference" -> reference(exchange, method, path);
      case "references" -> {
        requireMethod(method, "POST");
        Requests.ReferenceBatch batch = Requests.referenceBatch(exchange, options.maxBodyBytes());
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

  private Responses.Matches match(HttpExchange exchange) {
    Map<String, String> query = Requests.query(exchange);
    int k = Requests.intParameter(query, "k", 10, 1, MAX_K);
    double threshold = Requests.doubleParameter(query, "threshold", detector.defaultThreshold());
    CopyDetector.Matches m = detector.match(Requests.image(exchange, options.maxBodyBytes()), k, threshold);
    List<Responses.Match> matches = m.matches().stream()
        .map(x -> new Responses.Match(x.id(), x.score(), x.score() >= threshold)).toList();
    return new Responses.Matches(m.isCopy(), threshold, matches);
  }

  private Reply reference(HttpExchange exchange, String method, String path) {
    String id = URLDecoder.decode(path.substring(REFERENCE_PREFIX.length()), StandardCharsets.UTF_8);
    switch (method) {
      case "PUT" -> {
        if (Requests.contentType(exchange).startsWith("application/json")) {
          detector.addReference(id, Requests.referenceDescriptor(exchange, options.maxBodyBytes()).descriptor());
        } else {
          detector.addReference(id, Requests.image(exchange, options.maxBodyBytes()));
        }
        return Reply.created(new Responses.Added(id, references()));
      }
      case "DELETE" -> {
        if (!detector.remove(id)) {
          throw new HttpError(404, "no reference with id " + id);
        }
        return Reply.ok(new Responses.Removed(id, true, references()));
      }
      default -> throw new HttpError(405, "use PUT or DELETE on /v1/references/{id}, not " + method);
    }
  }

  private static void requireMethod(String method, String wanted) {
    if (!method.equals(wanted)) {
      throw new HttpError(405, "use " + wanted + ", not " + method);
    }
  }

  private long references() {
    return detector.size();
  }
}
