package org.iscengine.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.iscengine.runtime.ComputeThreads;
import org.iscengine.runtime.Versions;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code isc} command line. Exit codes: 0 success, 1 the command failed on its input, data or
 * environment, 2 usage error, 3 internal error (a bug; the stack trace is printed). See {@link FailureReport}.
 */
@Command(
    name = "isc",
    scope = CommandLine.ScopeType.INHERIT,  // every subcommand gets --help and --version
    mixinStandardHelpOptions = true,
    versionProvider = IscCli.VersionProvider.class,
    description = "Image copy detection: datasets, models, training, descriptors, search and evaluation.",
    subcommands = {InfoCommand.class, DataCommand.class, ModelCommand.class, ExtractCommand.class, HashCommand.class, TrainCommand.class, TrainClassesCommand.class, TrainInsClrCommand.class,
      ReproduceCommand.class, DescriptorsCommand.class, PostprocessCommand.class, MatchCommand.class, EnsembleCommand.class, EvaluateCommand.class, ReportCommand.class, ServeCommand.class, SparkCommand.class,
      CommandLine.HelpCommand.class, AutoComplete.GenerateCompletion.class})
public final class IscCli implements Runnable {
  private static final String VERBOSE = "--verbose";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  // Read from the parse result of whichever command it was given to (FailureReport); the field only declares it.
  @Option(names = {"-v", VERBOSE}, scope = CommandLine.ScopeType.INHERIT,
      description = "On failure, print the stack trace too.")
  boolean verbose;

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
    // picocli answers usage errors with 2 (ExitCode.USAGE); failures are reported by FailureReport.
    return new CommandLine(new IscCli())
        .setOut(out)
        .setErr(err)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler(
            (e, cmd, parsed) -> FailureReport.print(e, "isc " + cmd.getCommandName(), verbose(parsed), cmd.getErr()))
        .execute(args);
  }

  /** Whether --verbose was given, to isc itself or to any of its subcommands. */
  private static boolean verbose(CommandLine.ParseResult parsed) {
    for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption(VERBOSE)) {
        return true;
      }
    }
    return false;
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
