package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.iscengine.runtime.ComputeThreads;
import org.iscengine.runtime.Versions;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code isc} command line. Exit codes: 0 success, 1 failure, 2 usage error. */
@Command(
    name = "isc",
    mixinStandardHelpOptions = true,
    versionProvider = IscCli.VersionProvider.class,
    description = "Image copy detection: datasets, models, training, descriptors, search and evaluation.",
    subcommands = {InfoCommand.class, DataCommand.class, ModelCommand.class, ExtractCommand.class, HashCommand.class, TrainCommand.class,
      ReproduceCommand.class, DescriptorsCommand.class, PostprocessCommand.class, MatchCommand.class, EvaluateCommand.class, ServeCommand.class,
      CommandLine.HelpCommand.class})
public final class IscCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(
        run(new PrintWriter(System.out, true, StandardCharsets.UTF_8), new PrintWriter(System.err, true, StandardCharsets.UTF_8), args));
  }

  /** Runs the command line on these streams and returns its exit code. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    try {
      ComputeThreads.configure();
    } catch (IllegalArgumentException e) {
      err.println("isc: " + e.getMessage());
      return CommandLine.ExitCode.USAGE;
    }
    // picocli answers usage errors with 2 (ExitCode.USAGE); failures are reported here as 1.
    return new CommandLine(new IscCli())
        .setOut(out)
        .setErr(err)
        .setExecutionExceptionHandler(
            (e, cmd, parsed) -> {
              cmd.getErr().println("isc " + cmd.getCommandName() + ": " + e.getMessage());
              return 1;
            })
        .execute(args);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (see isc --help)");
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"isc-engine " + Versions.engine() + " (LibTorch " + Versions.libtorch() + ")"};
    }
  }
}
