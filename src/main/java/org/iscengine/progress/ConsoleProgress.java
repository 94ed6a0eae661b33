package org.iscengine.progress;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar with rate and ETA on standard error (the CLI's). */
public final class ConsoleProgress implements Progress {
  private final ProgressBar bar;

  private ConsoleProgress(ProgressBar bar) {
    this.bar = bar;
  }

  /** Bars on standard error; `unit` names what is counted (e.g. "img"). */
  public static Factory factory(String unit) {
    return (task, total) -> new ConsoleProgress(new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(total)
        .setStyle(ProgressBarStyle.ASCII)
        .setUnit(" " + unit, 1)
        .showSpeed()
        .setUpdateIntervalMillis(1000)
        .setSpeedUnit(java.time.temporal.ChronoUnit.SECONDS)
        .setConsumer(new ConsoleProgressBarConsumer(System.err))
        .setMaxRenderedLength(100)
        .build());
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
