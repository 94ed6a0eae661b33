package org.iscengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The refusals of isc serve (serving itself is tested through HTTP in IscServerTest). */
class ServeCommandTest {
  @TempDir Path dir;
  private final CliRunner cli = new CliRunner();

  private int serve(String... extra) {
    String[] base = {"serve", "--model", "resnet18", "--input-size", "32", "--dim", "8", "--device", "cpu",
        "--store", dir.resolve("store").toString(), "--port", "0"};
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    return cli.run(args);
  }

  @Test
  void anotherAddressNeedsATokenAndTheStoreIsLeftUsable() throws Exception {
    assertEquals(1, serve("--host", "0.0.0.0"));
    assertTrue(cli.err().contains("needs an API token"), cli.err());
    assertEquals(1, serve("--token-file", dir.resolve("missing").toString()));
    assertTrue(cli.err().contains("token file not found"), cli.err());
    Path empty = Files.writeString(dir.resolve("empty"), "  \n");
    assertEquals(1, serve("--token-file", empty.toString()));
    assertTrue(cli.err().contains("token is empty"), cli.err());
    assertEquals(1, serve("--score-norm", "1.0[0,9]"));
    assertTrue(cli.err().contains("go together"), cli.err());
    // A typo would silently change every descriptor: refused, naming the choices.
    assertEquals(2, serve("--resize", "crap"));
    assertTrue(cli.err().contains("--resize") && cli.err().contains("[SQUARE, CROP]"), cli.err());
    // The refused start released the store: it opens again.
    try (org.iscengine.store.ReferenceStore store = org.iscengine.store.ReferenceStore.open(dir.resolve("store"), 8,
        org.iscengine.store.ReferenceStore.Options.defaults())) {
      assertEquals(0, store.size());
    }
  }
}
