package org.iscengine.cli;

import org.iscengine.runtime.ComputeDevice;
import picocli.CommandLine.Option;

/** The {@code --device} option (a picocli mixin). */
final class DeviceOption {
  @Option(names = "--device", defaultValue = "auto",
      description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}: the first GPU if one can run, else the CPU).")
  String device;

  ComputeDevice select() {
    return ComputeDevice.select(device);
  }
}
