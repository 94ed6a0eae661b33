package org.iscengine.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code isc data}: the dataset builders. */
@Command(
    name = "data",
    description = "Build datasets: real photos from Debian packages, a mini-DISC benchmark, augmented training sets.",
    subcommands = {PhotosCommand.class, MiniDiscCommand.class, InstancesCommand.class, TrainSetCommand.class})
final class DataCommand extends IscCommand {
  @Override
  public Integer call() {
    throw usage("a data command is required (see isc data --help)");
  }
}
