package org.iscengine.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.iscengine.io.AtomicFile;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The precision-recall curve of an ISC evaluation as a PNG (XChart, headless). */
public final class PrCurvePlot {
  private static final int POINTS = 1000;

  private PrCurvePlot() {}

  public static void write(Path png, String title, IscEvaluation.Result result) {
    write(png, title, java.util.Map.of("", result));
  }

  /** Several runs' curves on one chart, each labelled with its name, μAP and recall@P90. */
  public static void write(Path png, String title, java.util.Map<String, IscEvaluation.Result> results) {
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(800).height(600).title(title)
        .xAxisTitle("recall").yAxisTitle("precision").build();
    chart.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setYAxisMin(0.0).setYAxisMax(1.0);
    chart.getStyler().setChartTitleVisible(true);
    chart.getStyler().setLegendPosition(results.size() > 1 ? org.knowm.xchart.style.Styler.LegendPosition.OutsideS
        : org.knowm.xchart.style.Styler.LegendPosition.InsideSW);  // several curves: below, not over them
    results.forEach((name, result) -> {
      PrCurve curve = result.curve().sampled(POINTS);
      IscMetrics m = result.metrics();
      double[] x = new double[Math.max(1, curve.size())];
      double[] y = new double[x.length];
      for (int i = 0; i < curve.size(); i++) {
        x[i] = curve.recall()[i];
        y[i] = curve.precision()[i];
      }
      String label = String.format(Locale.ROOT, "%sμAP %.4f, recall@P90 %s", name.isEmpty() ? "" : name + ": ",
          m.microAveragePrecision(),
          m.recallAtP90() == null ? "none" : String.format(Locale.ROOT, "%.4f", m.recallAtP90()));
      XYSeries series = chart.addSeries(label, x, y);
      series.setMarker(SeriesMarkers.NONE);
    });
    try {
      byte[] bytes = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
      AtomicFile.write(png, tmp -> Files.write(tmp, bytes));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot draw " + png + ": " + e.getMessage(), e);
    }
  }
}
