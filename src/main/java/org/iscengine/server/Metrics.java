package org.iscengine.server;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import org.iscengine.detect.CopyDetector;

/**
 * The service's metrics in the Prometheus text format (version 0.0.4): request counts by route
 * and status, latency histograms by route and by stage of the detector (decode, network, search),
 * micro-batch sizes, and gauges read when scraped (queue depth, references, requests in flight).
 */
public final class Metrics {
  // Fine between 10 and 100 ms, where a match on a CPU lands and a 50 ms objective sits.
  static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.045,
      0.05, 0.06, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128};

  /** A histogram with fixed upper bounds (cumulative counts are made when rendered). */
  static final class Histogram {
    private final double[] bounds;
    private final AtomicLongArray counts;
    private final DoubleAdder sum = new DoubleAdder();
    private final LongAdder count = new LongAdder();

    Histogram(double[] bounds) {
      this.bounds = bounds;
      this.counts = new AtomicLongArray(bounds.length + 1);
    }

    void observe(double value) {
      int i = 0;
      while (i < bounds.length && value > bounds[i]) {
        i++;
      }
      counts.incrementAndGet(i);
      sum.add(value);
      count.increment();
    }

    private void render(StringBuilder out, String name, String labels) {
      long cumulative = 0;
      String sep = labels.isEmpty() ? "" : labels + ",";
      for (int i = 0; i < bounds.length; i++) {
        cumulative += counts.get(i);
        out.append(name).append("_bucket{").append(sep).append("le=\"").append(number(bounds[i])).append("\"} ")
            .append(cumulative).append('\n');
      }
      cumulative += counts.get(bounds.length);
      out.append(name).append("_bucket{").append(sep).append("le=\"+Inf\"} ").append(cumulative).append('\n');
      String braces = labels.isEmpty() ? "" : "{" + labels + "}";
      out.append(name).append("_sum").append(braces).append(' ').append(number(sum.sum())).append('\n');
      out.append(name).append("_count").append(braces).append(' ').append(cumulative).append('\n');
    }
  }

  private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
  private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
  private final Map<CopyDetector.Stage, Histogram> stages = new EnumMap<>(CopyDetector.Stage.class);

  {
    for (CopyDetector.Stage stage : CopyDetector.Stage.values()) {  // all made up front: read without locks
      stages.put(stage, new Histogram(LATENCY_BUCKETS));
    }
  }
  private final Histogram batchSizes = new Histogram(BATCH_BUCKETS);
  private final Map<String, DoubleSupplier> gauges = new ConcurrentHashMap<>();
  private final Map<String, String> gaugeHelp = new ConcurrentHashMap<>();

  void request(String route, int status, double seconds) {
    requests.computeIfAbsent("route=\"" + route + "\",code=\"" + status + "\"", k -> new LongAdder()).increment();
    latency.computeIfAbsent("route=\"" + route + "\"", k -> new Histogram(LATENCY_BUCKETS)).observe(seconds);
  }

  /** Records the time of one stage of the detector (for {@link CopyDetector.Builder#onStageTime}). */
  public void stage(CopyDetector.Stage stage, long nanos) {
    stages.get(stage).observe(nanos / 1e9);
  }

  /** Counts a micro-batch of this many images. */
  public void batch(int size) {
    batchSizes.observe(size);
  }

  void gauge(String name, String help, DoubleSupplier value) {
    gauges.put(name, value);
    gaugeHelp.put(name, help);
  }

  String render() {
    StringBuilder out = new StringBuilder();
    out.append("# HELP isc_http_requests_total HTTP requests by route and status code.\n");
    out.append("# TYPE isc_http_requests_total counter\n");
    new TreeMap<>(requests).forEach((labels, n) -> out.append("isc_http_requests_total{").append(labels)
        .append("} ").append(n.sum()).append('\n'));
    out.append("# HELP isc_http_request_duration_seconds Time from request to response, by route.\n");
    out.append("# TYPE isc_http_request_duration_seconds histogram\n");
    new TreeMap<>(latency).forEach((labels, h) -> h.render(out, "isc_http_request_duration_seconds", labels));
    out.append("# HELP isc_stage_duration_seconds Time of one stage of the detector: decode (an image), network"
        + " (a micro-batch), search (an index search).\n");
    out.append("# TYPE isc_stage_duration_seconds histogram\n");
    stages.forEach((stage, h) -> {
      if (h.count.sum() > 0) {
        h.render(out, "isc_stage_duration_seconds", "stage=\"" + stage.name().toLowerCase(Locale.ROOT) + "\"");
      }
    });
    out.append("# HELP isc_batch_size Images per micro-batch through the network.\n");
    out.append("# TYPE isc_batch_size histogram\n");
    batchSizes.render(out, "isc_batch_size", "");
    new TreeMap<>(gauges).forEach((name, value) -> {
      out.append("# HELP ").append(name).append(' ').append(gaugeHelp.get(name)).append('\n');
      out.append("# TYPE ").append(name).append(" gauge\n");
      out.append(name).append(' ').append(number(value.getAsDouble())).append('\n');
    });
    return out.toString();
  }

  private static String number(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return java.math.BigDecimal.valueOf(v).round(new java.math.MathContext(9)).stripTrailingZeros().toPlainString();
  }
}
