package org.iscengine.cli;

import picocli.CommandLine;

/** The {@code --workers} option of the commands that decode images one by one (a picocli mixin). */
final class ImageWorkers extends ThreadCount {
  @CommandLine.Option(names = "--workers", paramLabel = "N",
      description = "Image decoding threads (default: all processors).")
  void workers(int n) {
    given("--workers", n);
  }
}
