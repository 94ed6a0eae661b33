package org.iscengine.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.iscengine.io.AtomicFile;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * What a run did, step by step: one JSON object per line in {@code metrics.jsonl} (appended, so
 * a resumed run continues the file), and the loss curve as {@code loss.png}.
 */
final class TrainingLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One step's record; loss is the contrastive loss, entropy the regularizer's value (0 when off),
   * lossScale the float16 loss scale (1 in float32), skipped whether that scale skipped the update.
   */
  record StepRecord(String stage, long step, long total, int epoch, double loss, double posLoss, double negLoss,
      double entropy, long activePos, long activeNeg, double lr, double gradNorm, double lossScale, boolean skipped,
      double imagesPerSecond) {}

  private final Path jsonl;
  private final Path png;
  private final BufferedWriter out;

  TrainingLog(Path runDir) {
    this.jsonl = runDir.resolve("metrics.jsonl");
    this.png = runDir.resolve("loss.png");
    try {
      this.out = Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + jsonl + ": " + e.getMessage(), e);
    }
  }

  void step(StepRecord r) {
    line(JSON.valueToTree(r));
  }

  void event(Map<String, Object> fields) {
    line(JSON.valueToTree(fields));
  }

  private void line(Object node) {
    try {
      out.write(JSON.writeValueAsString(node));
      out.newLine();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + jsonl + ": " + e.getMessage(), e);
    }
  }

  /**
   * Drops records of steps at or after a stage's resumed step (written after the checkpoint the
   * run resumes from), so the file reads as one uninterrupted run.
   */
  static void truncateAfter(Path runDir, String stage, long resumedStep) {
    Path file = runDir.resolve("metrics.jsonl");
    if (!Files.exists(file)) {
      return;
    }
    try {
      List<String> kept = new ArrayList<>();
      for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        var node = JSON.readTree(l);
        boolean later = node.has("loss") && stage.equals(node.path("stage").asText())
            && node.path("step").asLong() >= resumedStep;
        if (!later) {
          kept.add(l);
        }
      }
      AtomicFile.write(file, tmp -> Files.write(tmp, kept, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot rewrite " + file + ": " + e.getMessage(), e);
    }
  }

  /** Rewrites loss.png from every step record in metrics.jsonl (all stages, one after the other). */
  void plot() {
    List<Double> x = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    try {
      long i = 0;
      for (String l : Files.readAllLines(jsonl, StandardCharsets.UTF_8)) {
        var node = JSON.readTree(l);
        if (node.has("loss")) {
          x.add((double) i++);
          y.add(node.get("loss").asDouble());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + jsonl + ": " + e.getMessage(), e);
    }
    if (x.isEmpty()) {
      return;
    }
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(900).height(500).title("training loss")
        .xAxisTitle("step").yAxisTitle("loss").build();
    XYSeries raw = chart.addSeries("loss", x, y);
    raw.setMarker(SeriesMarkers.NONE);
    raw.setLineWidth(1f);
    List<Double> smooth = new ArrayList<>();
    double avg = y.get(0);
    for (double v : y) {
      avg = 0.95 * avg + 0.05 * v;
      smooth.add(avg);
    }
    XYSeries ema = chart.addSeries("moving average (0.95)", x, smooth);
    ema.setMarker(SeriesMarkers.NONE);
    AtomicFile.write(png, tmp -> BitmapEncoder.saveBitmap(chart, Files.newOutputStream(tmp),
        BitmapEncoder.BitmapFormat.PNG));
  }

  @Override
  public void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
