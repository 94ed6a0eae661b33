package org.iscengine.cli;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.iscengine.describe.Preprocess;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.descriptor.Pca;
import org.iscengine.descriptor.ScoreNormalization;
import org.iscengine.detect.CopyDetector;
import org.iscengine.kernels.Metric;
import org.iscengine.model.DescriptorNetwork;
import org.iscengine.server.IscServer;
import org.iscengine.server.Metrics;
import org.iscengine.store.ReferenceStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isc serve}. */
@Command(
    name = "serve",
    description = {
      "Serve copy detection over HTTP/JSON: match an image against the references, add and remove references,",
      "describe images; /healthz, /readyz and Prometheus /metrics. References live in a durable store folder",
      "(a synced append-only log plus index snapshots). Binds to 127.0.0.1 unless --host says otherwise, which",
      "then needs --token-file; without a token only loopback Host names (and --allowed-host) are answered,",
      "and requests from web pages of other origins are refused. Stops cleanly on SIGINT/SIGTERM: requests in flight finish, the log is synced",
      "and a snapshot written."
    })
final class ServeCommand implements Callable<Integer> {
  @CommandLine.Mixin ModelOptions model;

  @CommandLine.Mixin DeviceOption device;

  @Option(names = "--store", required = true, description = "Reference store folder (created if missing).")
  Path store;

  @Option(names = "--index", defaultValue = "exact",
      description = "'exact' (the project's kNN kernel) or a FAISS index_factory description with ids and removal,"
          + " e.g. IDMap2,Flat (default: ${DEFAULT-VALUE}). Changing it rebuilds the index from the log.")
  String index;

  @Option(names = "--snapshot-every", defaultValue = "50000",
      description = "Reference changes between background snapshots (default: ${DEFAULT-VALUE}).")
  long snapshotEvery;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Bind address (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "8080", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--token-file", description = "File holding the API token clients send as 'Authorization: Bearer'.")
  Path tokenFile;

  @Option(names = "--allowed-host",
      description = "Without --token-file, a Host name clients may use besides localhost and loopback addresses"
          + " (e.g. the name a local proxy forwards); repeatable.")
  List<String> allowedHosts = new ArrayList<>();

  @Option(names = "--max-body-mb", defaultValue = "20", description = "Largest request body in MiB (default: ${DEFAULT-VALUE}).")
  int maxBodyMb;

  @Option(names = "--max-body-memory-mb", defaultValue = "256",
      description = "Memory for request bodies in flight, all requests together, in MiB; beyond, 503"
          + " (default: ${DEFAULT-VALUE}).")
  int maxBodyMemoryMb;

  @Option(names = "--ui", description = "Serve a page to try the service at / (behind the token, like the API).")
  boolean ui;

  @Option(names = "--thumbnails",
      description = "Keep a small picture of each reference added as an image (in STORE/thumbnails), so the page can"
          + " show matches; GET /v1/thumbnails/{id}.")
  boolean thumbnails;

  @Option(names = "--threads", defaultValue = "32", description = "HTTP request threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--max-queued-requests", defaultValue = "128",
      description = "Requests that may wait for a request thread; beyond, 503 (default: ${DEFAULT-VALUE}).")
  int maxQueuedRequests;

  @Option(names = "--max-queue-wait-ms", defaultValue = "100",
      description = "Longest wait for a request thread: from a quarter of it the newest requests go first, beyond"
          + " it a request gets 503 (default: ${DEFAULT-VALUE}).")
  long maxQueueWaitMs;

  @Option(names = "--max-batch", defaultValue = "16", description = "Largest micro-batch (default: ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(names = "--max-wait-ms", defaultValue = "0",
      description = "Latency budget: how long a micro-batch waits for more images (default: ${DEFAULT-VALUE}).")
  double maxWaitMs;

  @Option(names = "--max-queue", defaultValue = "256",
      description = "Images that may wait for the network; beyond, requests get 503 (default: ${DEFAULT-VALUE}).")
  int maxQueue;

  @Option(names = "--threshold", defaultValue = "0.5",
      description = "Score from which a match is called a copy (default: ${DEFAULT-VALUE}); see the README for"
          + " the value measured for 90%% precision on mini-DISC.")
  double threshold;

  @Option(names = "--resize", defaultValue = "square", description = "square or crop (default: ${DEFAULT-VALUE}).")
  Choices.Resize resize;

  @Option(names = "--pca", description = "A PCA(-whitening) file from 'isc postprocess', applied to every descriptor.")
  Path pca;

  @Option(names = "--score-norm", description = "Score normalization WEIGHT[FIRST,LAST] (e.g. 1.0[0,9]) against --negatives.")
  String scoreNorm;

  @Option(names = "--negatives", description = "Descriptor file (.h5) of negative images for --score-norm.")
  Path negatives;

  @Override
  public Integer call() throws Exception {
    String token = null;
    if (tokenFile != null) {
      if (!Files.isRegularFile(tokenFile)) {
        throw new IllegalArgumentException("token file not found: " + tokenFile);
      }
      token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
    }
    if ((scoreNorm == null) != (negatives == null)) {
      throw new IllegalArgumentException("--score-norm and --negatives go together");
    }
    IscServer.Options options = new IscServer.Options(host, port, token, (long) maxBodyMb << 20, threads,
        Duration.ofSeconds(30), Duration.ofSeconds(30), model.model, allowedHosts, maxQueuedRequests,
        (long) maxBodyMemoryMb << 20).withPage(ui, thumbnails ? store.resolve("thumbnails") : null)
        .withMaxQueueWait(Duration.ofMillis(maxQueueWaitMs));
    Metrics metrics = new Metrics();
    long t0 = System.nanoTime();
    long commandStartedMs = ManagementFactory.getRuntimeMXBean().getUptime();
    DescriptorNetwork network = model.open();
    long modelLoaded = System.nanoTime();
    CopyDetector.Builder builder = CopyDetector.builder(network)
        .device(device.select())
        .store(store, new ReferenceStore.Options(index, Metric.INNER_PRODUCT, snapshotEvery))
        .batching(maxBatch, Duration.ofNanos((long) (maxWaitMs * 1e6)), maxQueue)
        .resize(resize.mode)
        .threshold(threshold)
        .onBatch(metrics::batch)
        .onStageTime(metrics::stage);
    if (pca != null) {
      builder.pca(Pca.load(pca));
    }
    if (scoreNorm != null) {
      try (Descriptors d = DescriptorFiles.read(negatives)) {
        builder.scoreNormalization(ScoreNormalization.parse(scoreNorm), d.vectors().clone());
      }
    }
    CopyDetector detector;
    try {
      detector = builder.build();
    } catch (RuntimeException e) {
      network.close();
      throw e;
    }
    long detectorBuilt = System.nanoTime();
    IscServer server;
    try {
      server = IscServer.start(detector, options, metrics);
    } catch (RuntimeException e) {
      detector.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop();
      stopped.countDown();
    }, "isc-serve-shutdown"));
    System.err.printf("isc serve: http://%s:%d/ (%d references; Ctrl-C stops)%n", host, server.port(),
        detector.size());
    // Where the time to ready went: JVM start and classes, model load, detector (convolution check,
    // weights to the device, reference store open: its own log line says how long that took).
    System.err.printf(Locale.ROOT, "isc serve: ready %d ms after the JVM started: this command from %d ms, model"
        + " %.0f ms, detector and reference store %.0f ms%n", ManagementFactory.getRuntimeMXBean().getUptime(),
        commandStartedMs, (modelLoaded - t0) / 1e6, (detectorBuilt - modelLoaded) / 1e6);
    stopped.await();
    return 0;
  }
}
