package org.iscengine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
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

  private CopyDetector detector() {
    torch.manual_seed(seed);
    DescriptorModel model = new DescriptorModel(new ModelConfig("resnet18", "fc-bn", 24, 3.0, false, 64,
        ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD));
    return CopyDetector.builder(model).store(dir.resolve("store"), new ReferenceStore.Options("IDMap2,Flat",
        Metric.INNER_PRODUCT, 0)).threshold(0.999).onBatch(n -> metrics.batch(n))
        .onStageTime(metrics::stage).build();
  }

  @BeforeEach
  void start() {
    metrics = new Metrics();
    server = IscServer.start(detector(), new IscServer.Options("127.0.0.1", 0, TOKEN, 64 * 1024, 8,
        Duration.ofSeconds(10), Duration.ofSeconds(10), "resnet18-test"), metrics);
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
    assertError(post("/v1/match", java.util.Arrays.copyOf(a, a.length / 2), "image/jpeg"), 400, "");
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
  void aFaultInsideTheServerIs500WithoutItsDetailsWhileABadUploadStays400() throws Exception {
    server.stop();
    torch.manual_seed(seed);
    DescriptorModel model = new DescriptorModel(new ModelConfig("resnet18", "fc-bn", 24, 3.0, false, 64,
        ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD));
    // What a native kernel answers when an argument got past the Java checks: a bug, not the client's fault.
    DescriptorNetwork faulty = new DescriptorNetwork() {
      @Override
      public Tensor describe(Tensor images) {
        throw new KernelException(IscAbi.INVALID_ARGUMENT, "p must be in [1, 16], got 0.5 (kernel internals)");
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
    CopyDetector faultyDetector = CopyDetector.builder(faulty).store(dir.resolve("faulty"), ReferenceStore.Options.defaults())
        .build();
    server = IscServer.start(faultyDetector, new IscServer.Options("127.0.0.1", 0, TOKEN, 64 * 1024, 2,
        Duration.ofSeconds(10), Duration.ofSeconds(10), "faulty"), metrics);

    HttpResponse<String> fault = post("/v1/match", jpeg(seed, 90, 90), "image/jpeg");
    assertEquals(500, fault.statusCode(), fault.body());
    assertFalse(fault.body().contains("kernel internals"), "the client learns nothing of the server's insides: "
        + fault.body());
    assertEquals(ErrorAnswers.INTERNAL_MESSAGE, json(fault).get("error").asText());
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
