package org.iscengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.iscengine.data.OtherBuildException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** isc train and isc reproduce: what they refuse, and why. */
class TrainReproduceCommandsTest {
  @TempDir Path dir;
  private final CliRunner cli = new CliRunner();

  @Test
  void mistakesGetClearMessages() throws Exception {
    assertEquals(2, cli.run("reproduce", "--preset", "huge"));
    assertTrue(cli.err().contains("--preset") && cli.err().contains("insclr-mini")
        && cli.err().contains("d2lv-mini"), cli.err());
    assertEquals(2, cli.run("reproduce", "--preset", "insclr-mini", "--seeds", "2"));
    assertTrue(cli.err().contains("--seeds applies to the mini, disc21 and d2lv-mini presets"), cli.err());
    assertNotEquals(0, cli.run("reproduce", "--preset", "INSCLR-MINI", "--data", dir.toString(), "--work",
        dir.resolve("w").toString()));
    assertTrue(cli.err().contains("gnd_instances.json"), cli.err());
    assertNotEquals(0, cli.run("train-insclr", "--recipe", "nope", "--images", dir.toString(), "--out",
        dir.resolve("r").toString()));
    assertTrue(cli.err().contains("insclr-mini"), cli.err());
    assertEquals(2, cli.run("train-insclr", "--images", dir.toString()));
    assertTrue(cli.err().contains("--out"), cli.err());
    assertEquals(2, cli.run("reproduce", "--preset", "disc21"));
    assertTrue(cli.err().contains("--data"), cli.err());
    // The matching track's preset parses as users type it; --ensemble-with belongs to it alone.
    assertEquals(2, cli.run("reproduce", "--preset", "d2lv-mini", "--seeds", "0"));
    assertTrue(cli.err().contains("--seeds must be in [1, 100], got 0"), cli.err());
    assertEquals(2, cli.run("reproduce", "--preset", "mini", "--ensemble-with", dir.resolve("m.iscm").toString()));
    assertTrue(cli.err().contains("--ensemble-with needs --preset d2lv-mini"), cli.err());
    assertEquals(2, cli.run("reproduce", "--seeds", "0"));
    assertTrue(cli.err().contains("--seeds must be in [1, 100], got 0"), cli.err());
    Files.createDirectories(dir.resolve("disc/query_images"));
    assertNotEquals(0, cli.run("reproduce", "--preset", "disc21", "--data", dir.resolve("disc").toString(), "--work",
        dir.resolve("w").toString()));
    assertTrue(cli.err().contains("reference_images"), cli.err());

    Path images = Files.createDirectories(dir.resolve("images"));
    assertNotEquals(0, cli.run("train", "--recipe", "nonesuch", "--images", images.toString(), "--out",
        dir.resolve("run").toString()));
    assertTrue(cli.err().contains("nonesuch"), cli.err());
    assertNotEquals(0, cli.run("train", "--recipe", "tiny", "--images", images.toString(), "--out",
        dir.resolve("run").toString()));
    assertTrue(cli.err().contains("no images"), cli.err());
  }

  @Test
  void aBenchmarkBuiltOtherwiseNamesEveryFolderMeasuredOnIt() {
    Path mini = dir.resolve("reproduce-mini");
    Runnable stale = () -> {
      throw new OtherBuildException("its manifest.json differs");
    };
    var own = assertThrows(IllegalArgumentException.class,
        () -> ReproduceCommand.buildOrCheck(mini.resolve("mini-disc"), mini, stale));
    assertTrue(own.getMessage().contains("delete " + mini + ", or give --work"), own.getMessage());
    // The matching track runs on the descriptor track's benchmark: both runs were measured on it.
    Path d2lv = dir.resolve("reproduce-d2lv-mini");
    var shared = assertThrows(IllegalArgumentException.class,
        () -> ReproduceCommand.buildOrCheck(mini.resolve("mini-disc"), d2lv, stale));
    assertTrue(shared.getMessage().contains("delete " + mini + " and " + d2lv), shared.getMessage());
    // Any other refusal is passed on as it is.
    var other = assertThrows(IllegalArgumentException.class, () -> ReproduceCommand.buildOrCheck(
        mini.resolve("mini-disc"), mini, () -> {
          throw new IllegalArgumentException("too few photos");
        }));
    assertEquals("too few photos", other.getMessage());
  }
}
