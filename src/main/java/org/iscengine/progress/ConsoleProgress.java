package org.iscengine.progress;

import java.text.DecimalFormat;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar with rate and ETA on standard error (the CLI's): redrawn in place each second on
 * a terminal; one plain line every 10 seconds when redirected to a log, so the log stays readable.
 */
public final class ConsoleProgress implements Progress {
  private final ProgressBar bar;

  private ConsoleProgress(ProgressBar bar) {
    this.bar = bar;
  }

  /** Bars on standard error; `unit` names what is counted (e.g. "img"). */
  public static Factory factory(String unit) {
    boolean terminal = System.console() != null;
    return (task, total) -> new ConsoleProgress(bar(task, total, unit, terminal));
  }

  private static ProgressBar bar(String task, long total, String unit, boolean terminal) {
    String[] last = {null};
    return new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(total)
        .setStyle(ProgressBarStyle.ASCII)
        .setUnit(" " + unit, 1)
        .showSpeed(new DecimalFormat("0.0"))
        .setUpdateIntervalMillis(terminal ? 1000 : 10_000)
        .setSpeedUnit(java.time.temporal.ChronoUnit.SECONDS)
        .setConsumer(terminal ? new ConsoleProgressBarConsumer(System.err)
            : new DelegatingProgressBarConsumer(line -> {
              if (!line.equals(last[0])) {  // closing redraws the last line
                last[0] = line;
                System.err.println(line);
              }
            }, 100))
        .setMaxRenderedLength(100)
        .build();
  }

  @Override
  public void step() {
    bar.step();
  }

  @Override
  public void close() {
    bar.close();
  }
}
