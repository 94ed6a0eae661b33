package org.iscengine.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Files written by real PyTorch (Debian's python3-torch and python3-torchvision, which
 * toolchain/bootstrap installs) through a script of the test resources. Tests that need them
 * are skipped, saying why, on a machine without that Python.
 */
public final class PyTorchFixtures {
  private PyTorchFixtures() {}

  /** Whether /usr/bin/python3 can import torch and torchvision. */
  public static boolean available() {
    try {
      Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import torch, torchvision").redirectErrorStream(true)
          .start();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Runs the resource script (e.g. "/model/make_checkpoints.py") with out as its argument. */
  public static void generate(String script, Path out) throws Exception {
    assumeTrue(available(), "needs /usr/bin/python3 with torch and torchvision (toolchain/bootstrap installs"
        + " python3-torch and python3-torchvision)");
    Path file = Path.of(PyTorchFixtures.class.getResource(script).toURI());
    Process p = new ProcessBuilder("/usr/bin/python3", file.toString(), out.toString()).redirectErrorStream(true)
        .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException(script + " failed:\n" + output);
    }
    Files.createDirectories(out);
  }
}
