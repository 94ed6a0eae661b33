import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A bounded load generator for isc serve on loopback (JDK only: run with `java LoadGen.java`).
 * Match requests go over plain keep-alive sockets with TCP_NODELAY, one per client, each request
 * in a single write: the JDK's HttpClient added about 15 ms per request on loopback here (curl
 * and this client agree with the server's own latency histogram).
 *
 * <pre>
 * java LoadGen.java ingest URL TOKEN DIMENSION COUNT BATCH SEED      descriptors through POST /v1/references
 * java LoadGen.java ingest-images URL TOKEN IMAGES_DIR COUNT          images through PUT /v1/references/{id}
 * java LoadGen.java match URL TOKEN IMAGES_DIR CONCURRENCY REQUESTS   POST /v1/match, closed loop
 * </pre>
 *
 * Every mode prints one JSON line: requests, errors, seconds, rate, and latency percentiles in ms.
 * A closed loop: each of CONCURRENCY clients sends its next request when the last one is answered,
 * REQUESTS in all (after 2 warm-up requests per client that are not counted).
 */
public final class LoadGen {
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
      .version(HttpClient.Version.HTTP_1_1).build();

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "ingest" -> ingest(args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]),
          Integer.parseInt(args[5]), Long.parseLong(args[6]));
      case "ingest-images" -> ingestImages(args[1], args[2], Path.of(args[3]), Integer.parseInt(args[4]));
      case "match" -> match(args[1], args[2], Path.of(args[3]), Integer.parseInt(args[4]), Integer.parseInt(args[5]));
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }

  private static HttpRequest.Builder request(String url, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120));
    return token.isEmpty() ? b : b.header("Authorization", "Bearer " + token);
  }

  private static void ingest(String base, String token, int dim, int count, int batch, long seed) throws Exception {
    Random r = new Random(seed);
    long[] nanos = new long[(count + batch - 1) / batch];
    int errors = 0;
    long t0 = System.nanoTime();
    for (int start = 0, b = 0; start < count; start += batch, b++) {
      StringBuilder json = new StringBuilder(batch * dim * 12).append("{\"references\":[");
      for (int i = start; i < Math.min(count, start + batch); i++) {
        json.append(i == start ? "" : ",").append("{\"id\":\"bulk-").append(i).append("\",\"descriptor\":[");
        double[] v = new double[dim];
        double n = 0;
        for (int j = 0; j < dim; j++) {
          v[j] = r.nextGaussian();
          n += v[j] * v[j];
        }
        for (int j = 0; j < dim; j++) {
          json.append(j == 0 ? "" : ",").append((float) (v[j] / Math.sqrt(n)));
        }
        json.append("]}");
      }
      json.append("]}");
      long s = System.nanoTime();
      HttpResponse<String> resp = CLIENT.send(request(base + "/v1/references", token)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(json.toString())).build(), HttpResponse.BodyHandlers.ofString());
      nanos[b] = System.nanoTime() - s;
      if (resp.statusCode() != 201) {
        errors++;
        System.err.println("ingest: " + resp.statusCode() + " " + resp.body());
      }
    }
    report("ingest-descriptors", count, errors, System.nanoTime() - t0, nanos, "batch", batch);
  }

  private static void ingestImages(String base, String token, Path dir, int count) throws Exception {
    List<byte[]> images = images(dir, count);
    long[] nanos = new long[images.size()];
    int errors = 0;
    long t0 = System.nanoTime();
    for (int i = 0; i < images.size(); i++) {
      long s = System.nanoTime();
      HttpResponse<String> resp = CLIENT.send(request(base + "/v1/references/image-" + i, token)
          .header("Content-Type", "image/jpeg").PUT(HttpRequest.BodyPublishers.ofByteArray(images.get(i))).build(),
          HttpResponse.BodyHandlers.ofString());
      nanos[i] = System.nanoTime() - s;
      if (resp.statusCode() != 201) {
        errors++;
      }
    }
    report("ingest-images", images.size(), errors, System.nanoTime() - t0, nanos, "concurrency", 1);
  }

  private static void match(String base, String token, Path dir, int concurrency, int requests) throws Exception {
    List<byte[]> images = images(dir, 400);
    long[] nanos = new long[requests];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    List<Future<?>> clients = new ArrayList<>();
    URI uri = URI.create(base);
    List<Connection> connections = new ArrayList<>();
    for (int c = 0; c < concurrency; c++) {
      connections.add(new Connection(uri.getHost(), uri.getPort(), token));
    }
    // Warm-up (not counted): connections open, the JIT and the network warmed.
    for (int c = 0; c < concurrency; c++) {
      Connection connection = connections.get(c);
      int client = c;
      clients.add(pool.submit(() -> {
        for (int w = 0; w < 2; w++) {
          connection.match(images.get((client * 7 + w) % images.size()));
        }
        return null;
      }));
    }
    for (Future<?> f : clients) {
      f.get();
    }
    clients.clear();
    long t0 = System.nanoTime();
    for (int c = 0; c < concurrency; c++) {
      Connection connection = connections.get(c);
      clients.add(pool.submit(() -> {
        for (int i; (i = next.getAndIncrement()) < requests; ) {
          long s = System.nanoTime();
          int status = connection.match(images.get(i % images.size()));
          nanos[i] = System.nanoTime() - s;
          if (status != 200) {
            errors.incrementAndGet();
          }
        }
        return null;
      }));
    }
    for (Future<?> f : clients) {
      f.get();
    }
    long elapsed = System.nanoTime() - t0;
    pool.shutdown();
    for (Connection connection : connections) {
      connection.close();
    }
    report("match", requests, errors.get(), elapsed, nanos, "concurrency", concurrency);
  }

  /** One keep-alive HTTP/1.1 connection: a request is one write, the response is read to its end. */
  private static final class Connection implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String host;
    private final String token;

    Connection(String host, int port, String token) throws IOException {
      this.socket = new Socket(host, port);
      socket.setTcpNoDelay(true);
      this.in = new BufferedInputStream(socket.getInputStream());
      this.out = socket.getOutputStream();
      this.host = host + ":" + port;
      this.token = token;
    }

    int match(byte[] image) throws IOException {
      String head = "POST /v1/match?k=10 HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: image/jpeg\r\n"
          + (token.isEmpty() ? "" : "Authorization: Bearer " + token + "\r\n")
          + "Content-Length: " + image.length + "\r\n\r\n";
      byte[] h = head.getBytes(StandardCharsets.US_ASCII);
      byte[] request = Arrays.copyOf(h, h.length + image.length);
      System.arraycopy(image, 0, request, h.length, image.length);
      out.write(request);
      out.flush();
      String status = line();
      int length = -1;
      for (String header; !(header = line()).isEmpty(); ) {
        if (header.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          length = Integer.parseInt(header.substring(15).trim());
        }
      }
      if (length < 0) {
        throw new IOException("no Content-Length in the response: " + status);
      }
      in.readNBytes(length);
      return Integer.parseInt(status.split(" ")[1]);
    }

    private String line() throws IOException {
      StringBuilder b = new StringBuilder();
      for (int c; (c = in.read()) != '\n'; ) {
        if (c < 0) {
          throw new IOException("connection closed");
        }
        if (c != '\r') {
          b.append((char) c);
        }
      }
      return b.toString();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private static List<byte[]> images(Path dir, int max) throws IOException {
    List<byte[]> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.filter(f -> f.toString().toLowerCase(Locale.ROOT).matches(".*\\.(jpe?g|png)$")).sorted()
          .limit(max).toList()) {
        out.add(Files.readAllBytes(p));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no JPEG or PNG images in " + dir);
    }
    return out;
  }

  private static void report(String mode, int items, int errors, long elapsedNanos, long[] nanos, String key,
      int value) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    double seconds = elapsedNanos / 1e9;
    System.out.println(String.format(Locale.ROOT, "{\"mode\":\"%s\",\"%s\":%d,\"items\":%d,\"requests\":%d,"
        + "\"errors\":%d,\"seconds\":%.3f,\"perSecond\":%.2f,\"p50Ms\":%.2f,\"p90Ms\":%.2f,\"p99Ms\":%.2f,"
        + "\"maxMs\":%.2f}", mode, key, value, items, nanos.length, errors, seconds, items / seconds,
        percentile(sorted, 0.50), percentile(sorted, 0.90), percentile(sorted, 0.99),
        sorted[sorted.length - 1] / 1e6));
  }

  /** Nearest-rank percentile, in ms. */
  private static double percentile(long[] sorted, double q) {
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
  }
}
