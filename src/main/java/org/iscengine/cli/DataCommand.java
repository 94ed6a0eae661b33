package org.iscengine.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code isc data}: the dataset builders. */
@Command(
    name = "data",
    mixinStandardHelpOptions = true,
    description = "Build datasets: real photos from Debian packages, a mini-DISC benchmark, augmented training sets.",
    subcommands = {PhotosCommand.class, MiniDiscCommand.class, InstancesCommand.class, TrainSetCommand.class})
final class DataCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a data command is required (see isc data --help)");
  }
}
