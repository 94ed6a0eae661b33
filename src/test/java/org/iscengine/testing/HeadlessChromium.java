package org.iscengine.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Debian's Chromium, headless, driven over the DevTools protocol (a WebSocket from the JDK's own
 * client), with one page open: enough to load a page, fill its inputs, click and read it back.
 */
public final class HeadlessChromium implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/bin/chromium");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration REPLY = Duration.ofSeconds(60);

  private final Process process;
  private final WebSocket socket;
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();
  private final String session;

  /** Starts Chromium with its profile in profile (an empty folder) and opens a blank page. */
  public HeadlessChromium(Path profile) throws Exception {
    process = new ProcessBuilder(BINARY.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--no-first-run", "--remote-debugging-port=0", "--user-data-dir=" + profile,
        "about:blank").redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(devToolsAddress()),
          new Listener()).get(30, TimeUnit.SECONDS);
      String target = call(null, "Target.createTarget", Map.of("url", "about:blank")).get("targetId").asText();
      session = call(null, "Target.attachToTarget", Map.of("targetId", target, "flatten", true)).get("sessionId")
          .asText();
    } catch (Exception | Error e) {
      process.destroyForcibly();
      throw e;
    }
  }

  /** The browser's DevTools WebSocket, from the line Chromium prints on standard error when it listens. */
  private String devToolsAddress() throws IOException {
    BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    for (String line; (line = err.readLine()) != null; ) {
      int at = line.indexOf("ws://");
      if (line.startsWith("DevTools listening on ") && at >= 0) {
        Thread drain = new Thread(() -> err.lines().forEach(l -> { }), "chromium-stderr");
        drain.setDaemon(true);
        drain.start();
        return line.substring(at).strip();
      }
      seen.append(line).append('\n');
    }
    throw new IllegalStateException("Chromium exited before it listened:\n" + seen);
  }

  /** A DevTools method of the page; its result. */
  public JsonNode call(String method, Map<String, ?> params) throws Exception {
    return call(session, method, params);
  }

  private JsonNode call(String sessionId, String method, Map<String, ?> params) throws Exception {
    int id = ids.incrementAndGet();
    ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
    message.set("params", JSON.valueToTree(params));
    if (sessionId != null) {
      message.put("sessionId", sessionId);
    }
    CompletableFuture<JsonNode> reply = new CompletableFuture<>();
    pending.put(id, reply);
    socket.sendText(JSON.writeValueAsString(message), true).get(REPLY.toSeconds(), TimeUnit.SECONDS);
    JsonNode answer = reply.get(REPLY.toSeconds(), TimeUnit.SECONDS);
    if (answer.has("error")) {
      throw new IllegalStateException(method + ": " + answer.get("error"));
    }
    return answer.get("result");
  }

  /** The value of a JavaScript expression in the page (awaited when it is a promise). */
  public JsonNode evaluate(String expression) throws Exception {
    JsonNode result = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true,
        "awaitPromise", true));
    if (result.has("exceptionDetails")) {
      throw new IllegalStateException(expression + ": " + result.get("exceptionDetails"));
    }
    return result.get("result").path("value");
  }

  /** Waits until the expression is true in the page; fails after the timeout. */
  public void waitFor(String expression, Duration timeout) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    while (!evaluate(expression).asBoolean(false)) {
      if (System.nanoTime() > end) {
        throw new IllegalStateException("not true after " + timeout.toSeconds() + " s: " + expression);
      }
      Thread.sleep(100);
    }
  }

  /** Puts files into the page's file input matched by a CSS selector. */
  public void setFiles(String selector, Path... files) throws Exception {
    int root = call("DOM.getDocument", Map.of()).get("root").get("nodeId").asInt();
    int node = call("DOM.querySelector", Map.of("nodeId", root, "selector", selector)).get("nodeId").asInt();
    if (node == 0) {
      throw new IllegalStateException("no element " + selector);
    }
    call("DOM.setFileInputFiles", Map.of("nodeId", node, "files",
        java.util.Arrays.stream(files).map(f -> f.toAbsolutePath().toString()).toList()));
  }

  /** Writes a PNG of what the page shows. */
  public void screenshot(Path png) throws Exception {
    String data = call("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true)).get("data")
        .asText();
    Files.write(png, java.util.Base64.getDecoder().decode(data));
  }

  @Override
  public void close() {
    try {
      socket.abort();
    } finally {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }

  /** Collects each message (sent in parts when long) and completes the call it answers; events are ignored. */
  private final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        String message = text.toString();
        text.setLength(0);
        handle(message, m -> {
          CompletableFuture<JsonNode> reply = pending.remove(m.get("id").asInt());
          if (reply != null) {
            reply.complete(m);
          }
        });
      }
      webSocket.request(1);
      return null;
    }

    private void handle(String message, Consumer<JsonNode> reply) {
      try {
        JsonNode m = JSON.readTree(message);
        if (m.has("id")) {
          reply.accept(m);
        }
      } catch (IOException e) {
        pending.values().forEach(f -> f.completeExceptionally(e));
      }
    }
  }
}
