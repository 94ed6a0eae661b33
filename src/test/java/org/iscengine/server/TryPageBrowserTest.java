package org.iscengine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.detect.CopyDetector;
import org.iscengine.image.ImageFormat;
import org.iscengine.image.Images;
import org.iscengine.kernels.Metric;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelConfig;
import org.iscengine.store.ReferenceStore;
import org.iscengine.testing.HeadlessChromium;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The page of isc serve --ui in a real browser: upload a query, read the decision and the matches. */
class TryPageBrowserTest {
  private static final String TOKEN = "page-token";
  @TempDir Path dir;

  @Test
  void aBrowserUploadsAnImageAndSeesItsCopyWithItsThumbnail() throws Exception {
    assumeTrue(Files.isExecutable(HeadlessChromium.BINARY), "needs Debian's chromium (toolchain/bootstrap installs it)");
    long seed = RandomTensors.freshSeed();
    torch.manual_seed(seed);
    DescriptorModel model = new DescriptorModel(new ModelConfig("resnet18", "fc-bn", 24, 3.0, false, 64,
        ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD));
    CopyDetector detector = CopyDetector.builder(model).store(dir.resolve("store"), new ReferenceStore.Options(
        "IDMap2,Flat", Metric.INNER_PRODUCT, 0)).threshold(0.999).build();
    IscServer server = IscServer.start(detector, new IscServer.Options("127.0.0.1", 0, TOKEN, 1 << 20, 4,
        Duration.ofSeconds(10), Duration.ofSeconds(10), "resnet18-page").withPage(true, dir.resolve("thumbnails")),
        new Metrics());
    String base = "http://127.0.0.1:" + server.port();
    Path query = dir.resolve("query.jpg");
    try {
      HttpClient client = HttpClient.newHttpClient();
      for (int i = 0; i < 3; i++) {
        byte[] jpeg;
        try (Mat image = TestImages.natural(seed + i, 180 + 20 * i, 140)) {
          jpeg = Images.encode(image, ImageFormat.JPEG, 90);
        }
        HttpResponse<String> added = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/references/ref-" + i))
            .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "image/jpeg")
            .PUT(HttpRequest.BodyPublishers.ofByteArray(jpeg)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, added.statusCode(), added.body());
        if (i == 1) {
          Files.write(query, jpeg);  // the query is reference 1 itself: a copy at score 1
        }
      }

      try (HeadlessChromium browser = new HeadlessChromium(Files.createDirectories(dir.resolve("profile")))) {
        // The page and every call it makes carry the token, as a client in front of the browser would add it.
        browser.call("Network.enable", Map.of());
        browser.call("Network.setExtraHTTPHeaders", Map.of("headers", Map.of("Authorization", "Bearer " + TOKEN)));
        browser.call("Page.navigate", Map.of("url", base + "/"));
        browser.waitFor("document.readyState === 'complete' && document.getElementById('info') !== null"
            + " && document.getElementById('info').textContent.includes('3 references')", Duration.ofSeconds(60));
        browser.setFiles("#image", query);
        browser.evaluate("document.getElementById('match').click()");
        browser.waitFor("document.getElementById('decision').dataset.done === 'true'", Duration.ofSeconds(60));
        browser.waitFor("[...document.querySelectorAll('#matches td img')].every(i => i.complete)",
            Duration.ofSeconds(30));
        JsonNode shown = browser.evaluate("({decision: document.getElementById('decision').textContent,"
            + " rows: [...document.querySelectorAll('#matches tbody tr')].map(r => ({"
            + "id: r.cells[1].textContent, score: Number(r.cells[2].textContent), copy: r.cells[3].textContent,"
            + "thumbnail: r.cells[0].querySelector('img') ? r.cells[0].querySelector('img').naturalWidth : 0}))})");
        browser.screenshot(Path.of("target", "try-page.png"));

        assertTrue(shown.get("decision").asText().startsWith("copy"), shown.toString());
        JsonNode rows = shown.get("rows");
        assertEquals(3, rows.size(), shown.toString());
        assertEquals("ref-1", rows.get(0).get("id").asText(), shown.toString());
        assertTrue(rows.get(0).get("score").asDouble() >= 0.999, shown.toString());
        assertEquals("yes", rows.get(0).get("copy").asText());
        assertEquals("no", rows.get(1).get("copy").asText(), "another picture is not a copy");
        for (JsonNode row : rows) {
          assertEquals(Thumbnails.SIDE, row.get("thumbnail").asInt(), "each match shows its thumbnail: " + row);
        }
        try (Mat screenshot = Images.read(Path.of("target", "try-page.png"))) {
          assertTrue(screenshot.cols() > 300 && screenshot.rows() > 300);
        }
      }
    } finally {
      server.stop();
    }
  }
}
