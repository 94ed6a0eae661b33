package org.iscengine.cli;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** What the end-to-end command tests share: a scratch folder and a runner of isc commands. */
abstract class CommandTest {
  @TempDir Path dir;
  final CliRunner cli = new CliRunner();

  /** A file in the scratch folder, as a command-line argument. */
  String path(String name) {
    return dir.resolve(name).toString();
  }
}
