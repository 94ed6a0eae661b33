package org.iscengine.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.iscengine.errors.IscException;

/** External programs (apt-get, dpkg, npm) run to completion with a time limit and their output kept. */
public final class Commands {
  private Commands() {}

  /** How a command ended: its exit code and its standard output and error, interleaved. */
  public record Result(int exitCode, String output) {
    public boolean ok() {
      return exitCode == 0;
    }
  }

  /**
   * Runs command in dir.
   *
   * @param what a short description for error messages (e.g. "apt-get download foo")
   * @param needs what the machine lacks when the program cannot be started (e.g. "a Debian system
   *     with apt and dpkg is needed")
   * @throws IllegalStateException when the program is missing, times out or is interrupted
   */
  public static Result run(List<String> command, Path dir, String what, String needs, Duration limit) {
    Process process;
    try {
      process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IscException(IscException.Kind.UNAVAILABLE,
          what + " failed: " + command.get(0) + " is not available on this machine ("
          + needs + ")", e);
    }
    try {
      process.getOutputStream().close();  // nothing to read: a prompt must not wait forever
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IscException(IscException.Kind.UNAVAILABLE,
            what + " did not finish in " + limit.toMinutes() + " minutes");
      }
      return new Result(process.exitValue(), output);
    } catch (IOException e) {
      process.destroyForcibly();
      throw new IscException(IscException.Kind.UNAVAILABLE,
          what + " failed: cannot read its output: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException(what + " was interrupted", e);
    }
  }
}
