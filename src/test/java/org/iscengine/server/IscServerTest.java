package org.iscengine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.detect.CopyDetector;
import org.iscengine.image.ImageFormat;
import org.iscengine.image.Images;
import org.iscengine.kernels.Metric;
import org.iscengine.kernels.binding.IscAbi;
import org.iscengine.kernels.binding.KernelException;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.DescriptorNetwork;
import org.iscengine.model.ModelConfig;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.store.FailingDisk;
import org.iscengine.store.ReferenceStore;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** isc serve through a real HTTP client on loopback. */
class IscServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "s3cret-token";
  @TempDir Path dir;
  private final long seed = RandomTensors.freshSeed();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private IscServer server;
  private Metrics metrics;

  /** The test's network: seeded random weights, 24-d. */
  private DescriptorModel model() {
    torch.manual_seed(seed);
    return new DescriptorModel(new ModelConfig("resnet18", "fc-bn", 24, 3.0, false, 64,
        ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD));
  }

  private CopyDetector detector() {
    DescriptorModel model = model();
    return CopyDetector.builder(model).store(dir.resolve("store"), new ReferenceStore.Options("IDMap2,Flat",
        Metric.INNER_PRODUCT, 0)).threshold(0.999).onBatch(n -> metrics.batch(n))
        .onStageTime(metrics::stage).build();
  }

  @BeforeEach
  void start() {
    metrics = new Metrics();
    server = IscServer.start(detector(), new IscServer.Options("127.0.0.1", 0, TOKEN, 64 * 1024, 8,
        Duration.ofSeconds(10), Duration.ofSeconds(10), "resnet18-test").withPage(true, dir.resolve("thumbnails")),
        metrics);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private static byte[] jpeg(long seed, int w, int h) {
    try (Mat m = TestImages.natural(seed, w, h)) {
      return Images.encode(m, ImageFormat.JPEG, 90);
    }
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(60));
  }

  private HttpResponse<String> send(HttpRequest r) throws Exception {
    return client.send(r, HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, byte[] body, String type) throws Exception {
    return send(request(path).header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
  }

  private HttpResponse<String> put(String path, byte[] body, String type) throws Exception {
    return send(request(path).header("Content-Type", type).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build());
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  private static byte[] multipart(String boundary, byte[] image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n")
        .getBytes(StandardCharsets.UTF_8));
    out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"q.jpg\"\r\n"
        + "Content-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    out.writeBytes(image);
    out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  @Test
  void referencesAreAddedMatchedAndRemovedOverHttp() throws Exception {
    byte[] a = jpeg(seed, 100, 80);
    byte[] b = jpeg(seed + 1, 80, 100);
    assertEquals(201, put("/v1/references/photo%20a", a, "image/jpeg").statusCode());
    HttpResponse<String> described = post("/v1/describe", b, "application/octet-stream");
    assertEquals(200, described.statusCode(), described.body());
    JsonNode descriptor = json(described).get("descriptor");
    assertEquals(24, descriptor.size());
    assertEquals(201, put("/v1/references/b", ("{\"descriptor\": " + descriptor + "}").getBytes(),
        "application/json").statusCode());
    String many = "{\"references\": [{\"id\": \"b2\", \"descriptor\": " + descriptor + "}]}";
    HttpResponse<String> batch = post("/v1/references", many.getBytes(), "application/json");
    assertEquals(201, batch.statusCode(), batch.body());
    assertEquals(3, json(batch).get("references").asInt());

    HttpResponse<String> raw = post("/v1/match?k=3", a, "image/jpeg");
    assertEquals(200, raw.statusCode(), raw.body());
    JsonNode m = json(raw);
    assertEquals("photo a", m.get("matches").get(0).get("id").asText());
    assertTrue(m.get("isCopy").asBoolean());
    assertEquals(1.0, m.get("matches").get(0).get("score").asDouble(), 1e-4);
    assertEquals(3, m.get("matches").size());

    String boundary = "----isc" + seed;
    HttpResponse<String> form = post("/v1/match?k=1&threshold=0.2", multipart(boundary, b),
        "multipart/form-data; boundary=" + boundary);
    assertEquals(200, form.statusCode(), form.body());
    assertTrue(List.of("b", "b2").contains(json(form).get("matches").get(0).get("id").asText()));
    assertEquals(0.2, json(form).get("threshold").asDouble(), 1e-12);

    assertEquals(200, send(request("/v1/references/b2").DELETE().build()).statusCode());
    assertEquals(404, send(request("/v1/references/b2").DELETE().build()).statusCode());
    JsonNode info = json(send(request("/v1/info").GET().build()));
    assertEquals(2, info.get("references").asInt());
    assertEquals("resnet18-test", info.get("model").asText());

    String text = send(request("/metrics").GET().build()).body();
    assertTrue(text.contains("isc_http_request_duration_seconds_bucket{route=\"match\",le=\"0.05\"}"), text);
    assertTrue(text.contains("isc_http_requests_total{route=\"reference\",code=\"201\"} 2"), text);
    assertTrue(text.contains("isc_references 2"), text);
    assertTrue(text.contains("isc_batch_size_count"), text);
    // Every image decoded, at least one network batch, and one search per answered match.
    long matches = metric(text, "isc_http_requests_total{route=\"match\",code=\"200\"}");
    assertTrue(matches > 0, text);
    assertEquals(matches, metric(text, "isc_stage_duration_seconds_count{stage=\"search\"}"), text);
    long decoded = metric(text, "isc_stage_duration_seconds_count{stage=\"decode\"}");
    long batches = metric(text, "isc_stage_duration_seconds_count{stage=\"network\"}");
    assertTrue(batches > 0 && decoded >= batches, text);
    assertTrue(text.contains("isc_queue_depth 0"), text);
  }

  @Test
  void badRequestsGetClearClientErrorsAndTheServiceStaysHealthy() throws Exception {
    byte[] a = jpeg(seed, 90, 90);
    assertEquals(201, put("/v1/references/a", a, "image/jpeg").statusCode());
    HttpResponse<String> noToken = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
        + "/v1/match")).POST(HttpRequest.BodyPublishers.ofByteArray(a)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, noToken.statusCode());
    HttpResponse<String> wrongToken = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + server.port() + "/v1/info")).header("Authorization", "Bearer nope").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(401, wrongToken.statusCode());

    assertError(post("/v1/match", "plain text, no image".getBytes(), "text/plain"), 400, "not an image");
    assertError(post("/v1/match", Arrays.copyOf(a, a.length / 2), "image/jpeg"), 400, "");
    assertError(post("/v1/match", new byte[0], "image/jpeg"), 400, "no body");
    assertError(post("/v1/match", new byte[100 * 1024], "image/jpeg"), 413, "limit");
    assertError(post("/v1/match?k=0", a, "image/jpeg"), 400, "parameter k");
    assertError(post("/v1/match?k=ten", a, "image/jpeg"), 400, "integer");
    assertError(post("/v1/match?threshold=NaN", a, "image/jpeg"), 400, "threshold");
    assertError(post("/v1/match", "--x\r\nfoo".getBytes(), "multipart/form-data; boundary=x"), 400, "multipart");
    assertError(put("/v1/references/j", "{\"descriptor\": [1, 2".getBytes(), "application/json"), 400, "JSON");
    assertError(put("/v1/references/j", "{\"descriptor\": [1, 2]}".getBytes(), "application/json"), 400, "2 values");
    assertError(put("/v1/references/j", "{\"descriptor\": [1, \"x\"]}".getBytes(), "application/json"), 400,
        "not a number");
    assertError(post("/v1/references", "{\"references\": []}".getBytes(), "application/json"), 400, "expected");
    assertError(send(request("/v1/match").GET().build()), 405, "POST");
    assertError(send(request("/v2/nothing").GET().build()), 404, "no such endpoint");

    HttpResponse<String> health = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
        + "/healthz")).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, health.statusCode(), "health needs no token");
    assertEquals(200, send(request("/readyz").GET().build()).statusCode());
    HttpResponse<String> still = post("/v1/match?k=1", a, "image/jpeg");
    assertEquals(200, still.statusCode());
    assertEquals("a", json(still).get("matches").get(0).get("id").asText());
    assertEquals(1, json(send(request("/v1/info").GET().build())).get("references").asInt(),
        "no refused request added anything");
  }

  @Test
  void readinessAnswers503OnceTheStoreCannotWriteItsLog() throws Exception {
    server.stop();
    DescriptorModel model = model();
    AtomicReference<String> fault = new AtomicReference<>();
    ReferenceStore store = FailingDisk.open(dir.resolve("failing"), 24, new ReferenceStore.Options("IDMap2,Flat",
        Metric.INNER_PRODUCT, 0), fault);
    server = IscServer.start(CopyDetector.builder(model).store(store).build(), new IscServer.Options("127.0.0.1", 0,
        TOKEN, 64 * 1024, 2, Duration.ofSeconds(10), Duration.ofSeconds(10), "failing-disk"), metrics);
    Random random = new Random(seed);
    byte[] one = ("{\"descriptor\": " + Arrays.toString(RandomTensors.unitVector(random, 24)) + "}").getBytes();
    byte[] two = ("{\"descriptor\": " + Arrays.toString(RandomTensors.unitVector(random, 24)) + "}").getBytes();
    assertEquals(201, put("/v1/references/before", one, "application/json").statusCode());
    assertEquals(200, send(request("/readyz").GET().build()).statusCode());

    fault.set("No space left on device");
    HttpResponse<String> refused = put("/v1/references/after", two, "application/json");
    assertEquals(503, refused.statusCode(), refused.body());
    HttpResponse<String> ready = send(request("/readyz").GET().build());
    assertEquals(503, ready.statusCode(), ready.body());
    assertTrue(ready.body().contains("accepts no changes"), ready.body());
    assertEquals(1, json(send(request("/v1/info").GET().build())).get("references").asInt(), "searches go on");
    fault.set(null);  // the disk is back for the final sync at stop
  }

  @Test
  void aFaultInsideTheServerIs500WithoutItsDetailsWhileABadUploadStays400() throws Exception {
    server.stop();
    DescriptorModel model = model();
    // What a native kernel answers when an argument got past the Java checks: a bug, not the client's fault.
    AtomicReference<RuntimeException> fault = new AtomicReference<>(
        new KernelException(IscAbi.INVALID_ARGUMENT, "p must be in [1, 16], got 0.5 (kernel internals)"));
    DescriptorNetwork faulty = describedBy(model, images -> {
      throw fault.get();
    });
    CopyDetector faultyDetector = CopyDetector.builder(faulty).store(dir.resolve("faulty"), ReferenceStore.Options.defaults())
        .build();
    server = IscServer.start(faultyDetector, new IscServer.Options("127.0.0.1", 0, TOKEN, 64 * 1024, 2,
        Duration.ofSeconds(10), Duration.ofSeconds(10), "faulty"), metrics);

    HttpResponse<String> bug = post("/v1/match", jpeg(seed, 90, 90), "image/jpeg");
    assertEquals(500, bug.statusCode(), bug.body());
    assertFalse(bug.body().contains("kernel internals"), "the client learns nothing of the server's insides: "
        + bug.body());
    assertTrue(json(bug).get("error").asText().startsWith(ErrorAnswers.INTERNAL_MESSAGE), bug.body());
    String bugId = json(bug).path("errorId").asText();
    assertFalse(bugId.isEmpty(), "the answer names the failure for the log: " + bug.body());

    // A failing disk is the server's business too: its paths stay in the log.
    String folder = dir.toAbsolutePath().resolve("store-" + seed).toString();
    fault.set(new UncheckedIOException(new IOException("cannot write " + folder + "/log: No space left on device")));
    HttpResponse<String> io = post("/v1/describe", jpeg(seed, 90, 90), "image/jpeg");
    assertEquals(503, io.statusCode(), io.body());
    assertFalse(io.body().contains(folder), io.body());
    assertFalse(io.body().contains("store-"), io.body());
    String ioId = json(io).path("errorId").asText();
    assertFalse(ioId.isEmpty(), io.body());
    assertNotEquals(bugId, ioId);
    assertError(post("/v1/match", "plain text, no image".getBytes(), "text/plain"), 400, "not an image");
    assertEquals(200, send(request("/healthz").GET().build()).statusCode());
  }

  @Test
  void startingAndStoppingLeavesSystemPropertiesAlone() {
    server.stop();
    Map<Object, Object> before = new TreeMap<>(System.getProperties());
    server = IscServer.start(detector(), new IscServer.Options("127.0.0.1", 0, TOKEN, 1024, 2, Duration.ofSeconds(3),
        Duration.ofSeconds(3), "m"), metrics);
    server.stop();
    assertEquals(before, new TreeMap<>(System.getProperties()));
  }

  private static void assertError(HttpResponse<String> r, int status, String fragment) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    String message = json(r).get("error").asText();
    assertTrue(message.contains(fragment), "'" + message + "' lacks '" + fragment + "'");
  }

  @Test
  void stoppingFinishesRequestsInFlightAndKeepsAcknowledgedReferences() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      inFlight.add(client.sendAsync(request("/v1/references/r" + i).header("Content-Type", "image/jpeg")
          .PUT(HttpRequest.BodyPublishers.ofByteArray(jpeg(seed + i, 70, 70))).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    Thread.sleep(150);
    server.stop();
    List<String> acknowledged = new ArrayList<>();
    for (int i = 0; i < inFlight.size(); i++) {
      try {
        HttpResponse<String> r = inFlight.get(i).join();
        assertTrue(r.statusCode() == 201 || r.statusCode() == 503, r.statusCode() + " " + r.body());
        if (r.statusCode() == 201) {
          acknowledged.add("r" + i);
        }
      } catch (java.util.concurrent.CompletionException e) {
        // sent after the listener closed: refused, never acknowledged
      }
    }
    assertTrue(!acknowledged.isEmpty(), "requests in flight finished");
    try (ReferenceStore store = ReferenceStore.open(dir.resolve("store"), 24, ReferenceStore.Options.defaults())) {
      for (String id : acknowledged) {
        assertTrue(store.contains(id), id + " was acknowledged and is lost");
      }
    }
  }

  @Test
  void anotherAddressWithoutATokenIsRefused() {
    metrics = new Metrics();
    CopyDetector other;
    Path second = dir.resolve("second");
    torch.manual_seed(seed);
    other = CopyDetector.builder(new DescriptorModel(new ModelConfig("resnet18", "fc-bn", 8, 3.0, false, 32,
        ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD))).store(second, ReferenceStore.Options.defaults()).build();
    try (other) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IscServer.start(other,
          new IscServer.Options("0.0.0.0", 0, null, 1024, 2, Duration.ofSeconds(5), Duration.ofSeconds(5), "m"),
          metrics));
      assertTrue(e.getMessage().contains("needs an API token"), e.getMessage());
    }
  }

  /** Starts a fresh server (on the same store) instead of the one of {@link #start}. */
  private void restart(String token, long maxBodyBytes, int threads, List<String> allowedHosts, int maxQueued,
      long bodyBytesInFlight) {
    server.stop();
    server = IscServer.start(detector(), new IscServer.Options("127.0.0.1", 0, token, maxBodyBytes, threads,
        Duration.ofSeconds(10), Duration.ofSeconds(10), "resnet18-test", allowedHosts, maxQueued, bodyBytesInFlight),
        metrics);
  }

  /** A request written by hand, for what the JDK's client will not send (another Host, say). */
  private String head(String method, String path, String host, String contentType, int length, String... more) {
    StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
    head.append("Authorization: Bearer " + TOKEN + "\r\nContent-Type: " + contentType + "\r\n");
    head.append("Content-Length: " + length + "\r\nConnection: close\r\n");
    for (String header : more) {
      head.append(header).append("\r\n");
    }
    return head.append("\r\n").toString();
  }

  /** Sends a hand-written request on its own connection; the status of the answer. */
  private int rawStatus(String head, byte[] body) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(),
          StandardCharsets.ISO_8859_1)).readLine();
      return Integer.parseInt(statusLine.split(" ")[1]);
    }
  }

  private static String array(float[] v) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < v.length; i++) {
      out.append(i == 0 ? "" : ", ").append(v[i]);
    }
    return out.append("]").toString();
  }

  private static byte[] descriptorBody(float[] v) {
    return ("{\"descriptor\": " + array(v) + "}").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aServerWithoutATokenAnswersOnlyItsOwnPagesAndHostNames() throws Exception {
    restart(null, 64 * 1024, 4, List.of("isc.example"), 16, 1 << 20);
    String own = "127.0.0.1:" + server.port();
    Random random = new Random(seed);
    byte[] one = descriptorBody(RandomTensors.unitVector(random, 24));
    // What any web page can send without a preflight: JSON as text/plain.
    byte[] batch = ("{\"references\": [{\"id\": \"page\", \"descriptor\": " + array(RandomTensors.unitVector(random, 24)) + "}]}")
        .getBytes(StandardCharsets.UTF_8);
    assertEquals(415, rawStatus(head("POST", "/v1/references", own, "text/plain", batch.length), batch));
    // DNS rebinding: the page's own name resolved to 127.0.0.1.
    assertEquals(421, rawStatus(head("PUT", "/v1/references/r1", "evil.example:" + server.port(), "application/json",
        one.length), one));
    assertEquals(421, rawStatus(head("GET", "/v1/info", "evil.example", "application/json", 0), new byte[0]));
    assertEquals(403, rawStatus(head("PUT", "/v1/references/r2", own, "application/json", one.length,
        "Origin: http://evil.example"), one));
    assertEquals(403, rawStatus(head("PUT", "/v1/references/r3", own, "application/json", one.length,
        "Origin: null"), one));
    assertEquals(0, json(send(request("/v1/info").GET().build())).get("references").asInt(), "nothing was added");

    assertEquals(201, rawStatus(head("POST", "/v1/references", own, "application/json; charset=utf-8", batch.length),
        batch));
    assertEquals(201, rawStatus(head("PUT", "/v1/references/a", "localhost:" + server.port(), "application/json",
        one.length), one));
    assertEquals(201, rawStatus(head("PUT", "/v1/references/b", "[::1]:" + server.port(), "application/json",
        one.length), one));
    assertEquals(201, rawStatus(head("PUT", "/v1/references/c", "isc.example:" + server.port(), "application/json",
        one.length, "Origin: http://isc.example:" + server.port()), one));
    assertEquals(201, rawStatus(head("PUT", "/v1/references/d", own, "application/json", one.length,
        "Origin: http://" + own), one));
    assertEquals(5, json(send(request("/v1/info").GET().build())).get("references").asInt());
  }

  @Test
  void jsonEndpointsTakeJsonOnly() throws Exception {
    byte[] batch = ("{\"references\": [{\"id\": \"x\", \"descriptor\": " + array(RandomTensors.unitVector(new Random(seed), 24))
        + "}]}").getBytes(StandardCharsets.UTF_8);
    assertError(post("/v1/references", batch, "text/plain"), 415, "application/json");
    assertError(post("/v1/references", batch, "application/jsonp"), 415, "application/json");
    assertEquals(201, post("/v1/references", batch, "application/json").statusCode());
  }

  @Test
  void aDescriptorSentAsJsonIsNormalisedSoItCannotMatchEverything() throws Exception {
    byte[] query = jpeg(seed, 90, 90);
    JsonNode described = json(post("/v1/describe", query, "image/jpeg")).get("descriptor");
    float[] q = new float[described.size()];
    for (int i = 0; i < q.length; i++) {
      q[i] = (float) described.get(i).asDouble();
    }
    // A unit vector at cosine 0.6 to the query, sent a thousand times longer.
    float[] other = RandomTensors.unitVector(new Random(seed), q.length);
    double along = 0;
    for (int i = 0; i < q.length; i++) {
      along += other[i] * q[i];
    }
    double norm = 0;
    for (int i = 0; i < q.length; i++) {
      other[i] -= (float) (along * q[i]);
      norm += other[i] * other[i];
    }
    float[] giant = new float[q.length];
    for (int i = 0; i < q.length; i++) {
      giant[i] = (float) (1000 * (0.6 * q[i] + 0.8 * other[i] / Math.sqrt(norm)));
    }
    assertEquals(201, put("/v1/references/giant", descriptorBody(giant), "application/json").statusCode());
    JsonNode m = json(post("/v1/match?k=1", query, "image/jpeg"));
    assertFalse(m.get("isCopy").asBoolean(), m.toString());
    assertEquals(0.6, m.get("matches").get(0).get("score").asDouble(), 1e-3, m.toString());

    float[] zeros = new float[q.length];
    assertError(put("/v1/references/z", descriptorBody(zeros), "application/json"), 400, "zero");
    String overflowing = "{\"descriptor\": [1e39" + ", 1".repeat(q.length - 1) + "]}";
    assertError(put("/v1/references/z", overflowing.getBytes(), "application/json"), 400, "finite");
    assertError(put("/v1/references/z", descriptorBody(Arrays.copyOf(q, q.length + 1)), "application/json"),
        400, "values");
    assertEquals(1, json(send(request("/v1/info").GET().build())).get("references").asInt());
  }

  @Test
  void clientsDribblingTheirHeadersDoNotStallTheOthers() throws Exception {
    List<Socket> slow = new ArrayList<>();
    ScheduledExecutorService dribble = Executors.newSingleThreadScheduledExecutor();
    try {
      byte[] request = ("GET /v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + "p".repeat(100) + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1);
      for (int i = 0; i < 64; i++) {
        slow.add(new Socket(InetAddress.getLoopbackAddress(), server.port()));
      }
      int[] sent = {0};
      dribble.scheduleAtFixedRate(() -> {
        for (Socket s : slow) {
          try {
            s.getOutputStream().write(request[sent[0]]);
          } catch (IOException e) {
            // the server may hang up on it
          }
        }
        sent[0]++;
      }, 0, 1, TimeUnit.SECONDS);
      Thread.sleep(1500);
      long t0 = System.nanoTime();
      HttpResponse<String> info = send(request("/v1/info").timeout(Duration.ofSeconds(5)).GET().build());
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertEquals(200, info.statusCode(), info.body());
      assertTrue(seconds < 2.0, "answered after " + seconds + " s");
    } finally {
      dribble.shutdownNow();
      for (Socket s : slow) {
        s.close();
      }
    }
  }

  @Test
  void aBurstBeyondTheQueueIsAnswered503AndNeverHangs() throws Exception {
    restart(TOKEN, 64 * 1024, 1, List.of(), 1, 1 << 20);
    byte[] image = jpeg(seed, 200, 160);
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        burst.add(client.sendAsync(request("/v1/describe").header("Content-Type", "image/jpeg")
            .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(), HttpResponse.BodyHandlers.ofString()));
      }
      int ok = 0;
      int refused = 0;
      for (CompletableFuture<HttpResponse<String>> f : burst) {
        HttpResponse<String> r = f.join();
        if (r.statusCode() == 503) {
          refused++;
          assertEquals("1", r.headers().firstValue("Retry-After").orElse(""), r.body());
          assertFalse(json(r).get("error").asText().isEmpty());
        } else {
          assertEquals(200, r.statusCode(), r.body());
          ok++;
        }
      }
      assertTrue(ok >= 1 && refused >= 1, ok + " answered, " + refused + " refused");
    });
    assertEquals(200, post("/v1/describe", image, "image/jpeg").statusCode(), "the service recovers");
  }

  @Test
  void aBombOrABadIdIsRefusedAtOnceWhileTheRequestQueueIsFull() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    // The waiting request must not go stale while the network is held: this is about a full queue.
    startHeld(release, 1, Duration.ofMinutes(1));
    byte[] image = jpeg(seed, 90, 90);
    try {
      // One request on the request thread, held in the network; one waiting: the queue is full.
      List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        waiting.add(client.sendAsync(request("/v1/describe").header("Content-Type", "image/jpeg")
            .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(), HttpResponse.BodyHandlers.ofString()));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (metric(send(request("/metrics").GET().build()).body(), "isc_requests_in_flight") < 3  // these two and this one
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      Thread.sleep(200);
      assertError(client.sendAsync(request("/v1/describe").header("Content-Type", "image/jpeg")
          .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(), HttpResponse.BodyHandlers.ofString())
          .get(10, TimeUnit.SECONDS), 503, "");
      // A JPEG declaring 65000 x 65000, an id with an unpaired surrogate, bytes of no image: refused for
      // what they are, not 503 for the queue.
      byte[] bomb = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xc0, 0, 17, 8, (byte) 0xfd, (byte) 0xe8, (byte) 0xfd,
          (byte) 0xe8, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, (byte) 0xff, (byte) 0xd9};
      assertError(post("/v1/match", bomb, "image/jpeg"), 413, "65000x65000");
      assertError(put("/v1/references/x%ED%A0%80", image, "image/jpeg"), 400, "UTF-8");
      assertError(post("/v1/describe", "plain text, no image".getBytes(StandardCharsets.US_ASCII), "image/jpeg"), 400,
          "not an image");
      release.countDown();
      for (CompletableFuture<HttpResponse<String>> f : waiting) {
        assertEquals(200, f.get(30, TimeUnit.SECONDS).statusCode());
      }
    } finally {
      release.countDown();
    }
  }

  @Test
  void afterABurstALoneRequestIsServedBeforeTheBurstsBacklog() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    // Congested once the oldest waited 0.5 s, and nothing waits long enough to be refused.
    startHeld(release, 16, Duration.ofSeconds(2));
    byte[] image = jpeg(seed, 90, 90);
    Map<String, Long> answeredAt = new java.util.concurrent.ConcurrentHashMap<>();
    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
    try {
      for (int i = 0; i < 9; i++) {  // the first holds the request thread, eight wait
        String name = "burst-" + i;
        sent.add(client.sendAsync(request("/v1/describe").header("Content-Type", "image/jpeg")
            .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(), HttpResponse.BodyHandlers.ofString())
            .whenComplete((r, e) -> answeredAt.put(name, System.nanoTime())));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (metric(send(request("/metrics").GET().build()).body(), "isc_requests_in_flight") < 10
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      Thread.sleep(700);
      sent.add(client.sendAsync(request("/v1/describe").header("Content-Type", "image/jpeg")
          .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(), HttpResponse.BodyHandlers.ofString())
          .whenComplete((r, e) -> answeredAt.put("lone", System.nanoTime())));
      Thread.sleep(200);
      release.countDown();
      for (CompletableFuture<HttpResponse<String>> f : sent) {
        assertEquals(200, f.get(30, TimeUnit.SECONDS).statusCode());
      }
    } finally {
      release.countDown();
    }
    long lone = answeredAt.get("lone");
    long burstAfterLone = answeredAt.entrySet().stream()
        .filter(e -> e.getKey().startsWith("burst-") && e.getValue() > lone).count();
    // First in, first out, the lone request would be answered last; it comes right after the held one.
    assertTrue(burstAfterLone >= 7, "only " + burstAfterLone + " of the 8 waiting burst requests were answered after it");
  }

  @Test
  void bodiesBeyondTheMemoryForBodiesInFlightAre503() throws Exception {
    restart(TOKEN, 48 * 1024, 4, List.of(), 16, 64 * 1024);
    byte[] notAnImage = new byte[20 * 1024];
    new Random(seed).nextBytes(notAnImage);
    try (Socket hog = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      // Declares 48 KiB, sends 1 KiB and waits.
      hog.getOutputStream().write(head("PUT", "/v1/references/hog", "127.0.0.1", "image/jpeg", 48 * 1024)
          .getBytes(StandardCharsets.ISO_8859_1));
      hog.getOutputStream().write(new byte[1024]);
      hog.getOutputStream().flush();
      HttpResponse<String> r = untilStatus(503, notAnImage);
      assertError(r, 503, "");
      assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
    }
    assertError(untilStatus(400, notAnImage), 400, "not an image");
  }

  @Test
  void aChunkedBodyIsBoundedLikeADeclaredOne() throws Exception {
    byte[] image = jpeg(seed, 90, 90);
    HttpResponse<String> ok = send(request("/v1/describe").header("Content-Type", "image/jpeg")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(image))).build());
    assertEquals(200, ok.statusCode(), ok.body());
    byte[] large = new byte[200 * 1024];
    new Random(seed).nextBytes(large);
    assertError(send(request("/v1/describe").header("Content-Type", "image/jpeg")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(large))).build()), 413, "limit");
    assertEquals(200, post("/v1/describe", image, "image/jpeg").statusCode());
  }

  /**
   * Posts a body until it is answered with a status (or 20 s passed: under load the server takes a
   * while to see a held body); the last answer.
   */
  private HttpResponse<String> untilStatus(int status, byte[] body) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    HttpResponse<String> r;
    do {
      r = post("/v1/describe", body, "image/jpeg");
    } while (r.statusCode() != status && System.nanoTime() < deadline);
    return r;
  }

  @Test
  void aHugeDescriptorArrayIsRefusedWithoutBeingBuilt() throws Exception {
    restart(TOKEN, 32 << 20, 4, List.of(), 16, 64 << 20);
    byte[] body = ("{\"descriptor\": [" + "1,".repeat(9_999_999) + "1]}").getBytes(StandardCharsets.US_ASCII);
    long t0 = System.nanoTime();
    HttpResponse<String> r = put("/v1/references/huge", body, "application/json");
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertError(r, 400, "24");
    assertTrue(seconds < 2.0, "answered after " + seconds + " s (20 MB sent on loopback)");
  }

  @Test
  void aLargeJsonBodyIsParsedAsItArrivesNeverHeldWhole() throws Exception {
    restart(TOKEN, 32 << 20, 4, List.of(), 16, 64 << 20);
    byte[] body = ("{\"descriptor\": [" + "1,".repeat(9_999_999) + "1]}").getBytes(StandardCharsets.US_ASCII);
    // Arrays this large go straight to the old generation: its peak shows whether the server copied the body.
    List<MemoryPoolMXBean> old = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP && p.getName().matches(".*(Old|Tenured).*")).toList();
    assertFalse(old.isEmpty(), "no old generation among " + ManagementFactory.getMemoryPoolMXBeans());
    for (int i = 0; i < 3; i++) {
      System.gc();
      old.forEach(MemoryPoolMXBean::resetPeakUsage);
      long before = old.stream().mapToLong(p -> p.getUsage().getUsed()).sum();
      HttpResponse<String> r = put("/v1/references/huge", body, "application/json");
      long peak = old.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
      assertError(r, 400, "more than 24 values");
      assertTrue(peak - before < body.length / 2, "the old generation grew by " + (peak - before) / 1e6
          + " MB while a body of " + body.length / 1e6 + " MB was refused");
    }
    String batch = "{\"references\": [{\"id\": \"a\", \"descriptor\": [" + "1,".repeat(9_999_999) + "1]}]}";
    assertError(post("/v1/references", batch.getBytes(StandardCharsets.US_ASCII), "application/json"), 400,
        "references[0].descriptor has more than 24 values");
    restart(TOKEN, 1 << 20, 4, List.of(), 16, 4 << 20);
    byte[] tooLong = ("{\"note\": \"" + "a".repeat(2 << 20) + "\"}").getBytes(StandardCharsets.US_ASCII);
    assertError(send(request("/v1/references").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(tooLong))).build()), 413, "limit");
    float[] right = RandomTensors.unitVector(new Random(seed), 24);
    assertEquals(201, put("/v1/references/right", descriptorBody(right), "application/json").statusCode());
    assertError(post("/v1/references", descriptorBody(right), "text/plain"), 415, "application/json");
  }

  @Test
  void aMultipartHeaderLineOfAMegabyteIsRefusedAtOnce() throws Exception {
    restart(TOKEN, 2 << 20, 4, List.of(), 16, 8 << 20);
    String boundary = "isc" + seed;
    byte[] body = ("--" + boundary + "\r\nContent-Disposition: form-data; " + "content-disposition:".repeat(52_000)
        + "\r\n\r\nxyz\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      long t0 = System.nanoTime();
      HttpResponse<String> r = post("/v1/match", body, "multipart/form-data; boundary=" + boundary);
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertError(r, 400, "header");
      assertTrue(seconds < 1.0, "answered after " + seconds + " s");
    });
    String longBoundary = "b".repeat(71);
    assertError(post("/v1/match", multipart(longBoundary, jpeg(seed, 60, 60)), "multipart/form-data; boundary="
        + longBoundary), 400, "boundary");
  }

  @Test
  void idsAreTakenAsSentOrRefused() throws Exception {
    byte[] image = jpeg(seed, 90, 90);
    assertEquals(201, put("/v1/references/a+b", image, "image/jpeg").statusCode());
    assertEquals("a+b", json(post("/v1/match?k=1", image, "image/jpeg")).get("matches").get(0).get("id").asText());
    assertEquals(404, send(request("/v1/references/a%20b").DELETE().build()).statusCode());
    HttpResponse<String> accented = put("/v1/references/caf%C3%A9%2Bx", image, "image/jpeg");
    assertEquals("caf\u00e9+x", json(accented).get("id").asText(), accented.body());

    String descriptor = array(RandomTensors.unitVector(new Random(seed), 24));
    String lone = "{\"references\": [{\"id\": \"x\\ud800\", \"descriptor\": " + descriptor + "}]}";
    assertError(post("/v1/references", lone.getBytes(StandardCharsets.UTF_8), "application/json"), 400, "UTF-16");
    assertError(put("/v1/references/x%ED%A0%80", image, "image/jpeg"), 400, "UTF-8");
    assertError(put("/v1/references/x%FF", image, "image/jpeg"), 400, "UTF-8");
    assertEquals(2, json(send(request("/v1/info").GET().build())).get("references").asInt());
  }

  /**
   * The OpenAPI document is valid OpenAPI 3, lists exactly the endpoints the server answers, and
   * each endpoint's real answer to a good request has a status and body the document describes.
   */
  @Test
  void theOpenApiDocumentDescribesExactlyWhatTheServerAnswers() throws Exception {
    HttpResponse<String> served = send(request("/v1/openapi.json").GET().build());
    assertEquals(200, served.statusCode(), served.body());
    SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(served.body());
    assertTrue(parsed.getMessages() == null || parsed.getMessages().isEmpty(), String.valueOf(parsed.getMessages()));
    JsonNode doc = json(served);
    assertTrue(doc.get("openapi").asText().startsWith("3."));

    List<String> documented = new ArrayList<>();
    doc.get("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> {
      if (!method.equals("parameters")) {
        documented.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey());
      }
    }));
    List<String> routed = Routes.ENDPOINTS.stream().map(e -> e.method() + " " + e.path()).toList();
    assertEquals(new TreeSet<>(routed), new TreeSet<>(documented));

    String descriptor = array(RandomTensors.unitVector(new Random(seed), 24));
    for (Routes.Endpoint e : Routes.ENDPOINTS) {
      String path = e.path().replace("{id}", "probe%2Bone");
      HttpRequest.Builder r = request(path);
      HttpResponse<String> answer = send(switch (e.route()) {
        case "match", "describe" -> r.header("Content-Type", "image/jpeg")
            .POST(HttpRequest.BodyPublishers.ofByteArray(jpeg(seed, 70, 50))).build();
        case "references" -> r.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
            "{\"references\": [{\"id\": \"many\", \"descriptor\": " + descriptor + "}]}")).build();
        case "thumbnail" -> {
          assertEquals(201, put("/v1/references/probe%2Bone", jpeg(seed, 60, 90), "image/jpeg").statusCode());
          yield r.GET().build();
        }
        default -> r.header("Content-Type", "application/json").method(e.method(),
            HttpRequest.BodyPublishers.ofString("{\"descriptor\": " + descriptor + "}")).build();
      });
      String where = e.method() + " " + e.path() + ": " + answer.body();
      JsonNode response = doc.get("paths").get(e.path()).get(e.method().toLowerCase(Locale.ROOT))
          .get("responses").get(String.valueOf(answer.statusCode()));
      assertTrue(answer.statusCode() / 100 == 2 && response != null, where);
      JsonNode schema = response.get("content").fields().next().getValue().get("schema");
      if (schema.has("$ref")) {
        JsonNode named = doc.at(schema.get("$ref").asText().substring(1));
        JsonNode body = json(answer);
        named.get("required").forEach(field -> assertTrue(body.has(field.asText()), where + " lacks " + field));
        body.fieldNames().forEachRemaining(field -> assertTrue(named.get("properties").has(field),
            where + " has " + field + ", which the document does not name"));
      }
    }

    for (String path : List.of("/healthz", "/v1/info", "/v1/match", "/v1/references", "/v1/references/x")) {
      for (String method : List.of("GET", "POST", "PUT", "DELETE", "PATCH")) {
        if (routed.stream().anyMatch(x -> x.equals(method + " " + path) || x.equals(method + " /v1/references/{id}")
            && path.equals("/v1/references/x"))) {
          continue;
        }
        HttpResponse<String> wrong = send(request(path).method(method, HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(405, wrong.statusCode(), method + " " + path + ": " + wrong.body());
        String allow = wrong.headers().firstValue("Allow").orElse("");
        assertTrue(!allow.isEmpty() && Arrays.stream(allow.split(", "))
            .allMatch(m -> routed.stream().anyMatch(x -> x.startsWith(m + " "))), method + " " + path + ": Allow " + allow);
      }
    }
    for (String path : List.of("/v1", "/openapi.json", "/v1/references/", "/v1/matches", "/v1/thumbnails/")) {
      assertEquals(404, send(request(path).GET().build()).statusCode(), path);
    }
  }

  /** Each JSON body the server answers with is a schema of the document, with the same fields in the same order. */
  @Test
  void theOpenApiSchemasAreTheResponseRecords() throws Exception {
    JsonNode schemas = JSON.readTree(Routes.class.getResourceAsStream(Routes.OPENAPI)).get("components").get("schemas");
    int compared = 0;
    for (Class<?> type : Responses.class.getDeclaredClasses()) {
      if (!type.isRecord() || type == Responses.Reply.class || type == Responses.Text.class
          || type == Responses.Bytes.class) {
        continue;
      }
      JsonNode schema = schemas.get(type.getSimpleName());
      assertTrue(schema != null, "no schema " + type.getSimpleName());
      List<String> fields = new ArrayList<>();
      schema.get("properties").fieldNames().forEachRemaining(fields::add);
      assertEquals(Arrays.stream(type.getRecordComponents()).map(c -> c.getName()).toList(), fields,
          type.getSimpleName());
      compared++;
    }
    assertTrue(compared >= 10, compared + " records");
  }

  @Test
  void thePageAndTheThumbnailsAreThereOnlyWhenAskedForAndBehindTheToken() throws Exception {
    HttpResponse<String> page = send(request("/").GET().build());
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
    assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("frame-ancestors 'none'"));
    assertTrue(page.body().contains("/v1/match"), "the page calls the API");
    HttpRequest anonymous = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/")).GET().build();
    assertEquals(401, send(anonymous).statusCode());

    // An image reference keeps a thumbnail; a descriptor put under its id, or removing it, drops it.
    assertEquals(201, put("/v1/references/pic%20one", jpeg(seed, 400, 300), "image/jpeg").statusCode());
    HttpResponse<byte[]> thumbnail = client.send(request("/v1/thumbnails/pic%20one").GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, thumbnail.statusCode());
    try (Mat small = Images.decode(thumbnail.body(), "thumbnail", Images.DEFAULT_MAX_SIDE)) {
      assertEquals(160, small.cols());
      assertEquals(120, small.rows());
    }
    String descriptor = array(RandomTensors.unitVector(new Random(seed), 24));
    assertEquals(201, put("/v1/references/pic%20one", ("{\"descriptor\": " + descriptor + "}").getBytes(
        StandardCharsets.UTF_8), "application/json").statusCode());
    assertEquals(404, send(request("/v1/thumbnails/pic%20one").GET().build()).statusCode());
    assertEquals(201, put("/v1/references/pic%20two", jpeg(seed + 1, 80, 80), "image/jpeg").statusCode());
    assertEquals(200, send(request("/v1/thumbnails/pic%20two").GET().build()).statusCode());
    assertEquals(200, send(request("/v1/references/pic%20two").DELETE().build()).statusCode());
    assertEquals(404, send(request("/v1/thumbnails/pic%20two").GET().build()).statusCode());

    server.stop();
    server = IscServer.start(detector(), new IscServer.Options("127.0.0.1", 0, TOKEN, 64 * 1024, 8,
        Duration.ofSeconds(10), Duration.ofSeconds(10), "resnet18-test"), metrics);
    assertEquals(404, send(request("/").GET().build()).statusCode(), "no page without --ui");
    assertEquals(201, put("/v1/references/pic%20three", jpeg(seed + 2, 80, 80), "image/jpeg").statusCode());
    HttpResponse<String> none = send(request("/v1/thumbnails/pic%20three").GET().build());
    assertEquals(404, none.statusCode());
    assertTrue(none.body().contains("--thumbnails"), none.body());
  }

  /** The model, but describing as describe says (to fail or to wait where a test wants it to). */
  /** Restarts the server with one request thread whose network waits for {@code release} before it describes. */
  private void startHeld(CountDownLatch release, int maxQueued, Duration maxQueueWait) throws Exception {
    server.stop();
    DescriptorModel model = model();
    DescriptorNetwork held = describedBy(model, images -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return model.describe(images);
    });
    CopyDetector detector = CopyDetector.builder(held).store(dir.resolve("held"), ReferenceStore.Options.defaults())
        .build();
    server = IscServer.start(detector, new IscServer.Options("127.0.0.1", 0, TOKEN, 64 * 1024, 1,
        Duration.ofSeconds(30), Duration.ofSeconds(30), "held", List.of(), maxQueued, 1 << 20)
        .withMaxQueueWait(maxQueueWait), metrics);
  }

  private static DescriptorNetwork describedBy(DescriptorModel model, java.util.function.UnaryOperator<Tensor> describe) {
    return new DescriptorNetwork() {
      @Override
      public Tensor describe(Tensor images) {
        return describe.apply(images);
      }

      @Override
      public int dimension() {
        return model.dimension();
      }

      @Override
      public void moveTo(ComputeDevice device, ScalarType dtype) {
        model.moveTo(device, dtype);
      }

      @Override
      public ModelConfig config() {
        return model.config();
      }

      @Override
      public void close() {
        model.close();
      }
    };
  }

  /** The value of one sample line of the Prometheus text; fails when it is missing. */
  private static long metric(String text, String sample) {
    for (String line : text.split("\n")) {
      if (line.startsWith(sample + " ")) {
        return Long.parseLong(line.substring(sample.length() + 1).strip());
      }
    }
    throw new AssertionError("no " + sample + " in\n" + text);
  }
}
