package org.iscengine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.hash.PdqCsv;
import org.iscengine.hash.PdqHasher;
import org.iscengine.image.Images;
import org.iscengine.match.Predictions;
import org.iscengine.match.PredictionsCsv;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** isc hash end to end on a small folder with a corrupt image. */
class HashCommandTest {
  @TempDir Path dir;
  private final CliRunner cli = new CliRunner();

  @Test
  void anOutputThatIsTheImageListIsRefused() throws Exception {
    Path image = dir.resolve("a.jpg");
    try (Mat m = TestImages.unrelated(RandomTensors.freshSeed(), 160, 120)) {
      Images.write(image, m, 90);
    }
    Path list = dir.resolve("list.txt");
    Files.writeString(list, image + "\n");
    assertEquals(1, cli.run("hash", "--images", list.toString(), "--out", list.toString()));
    assertTrue(cli.err().contains("--out") && cli.err().contains("--images"), cli.err());
    assertEquals(image + "\n", Files.readString(list));
  }

  @Test
  void hashesAFolderAndListsTheImagesItCannotRead() throws Exception {
    Path images = Files.createDirectories(dir.resolve("images"));
    Files.createDirectories(images.resolve("sub"));
    long seed = RandomTensors.freshSeed();
    List<String> names = List.of("a.jpg", "b.png", "sub/c.jpg");
    for (int i = 0; i < names.size(); i++) {
      try (Mat m = TestImages.unrelated(seed + i, 160 + 20 * i, 120)) {
        Images.write(images.resolve(names.get(i)), m, 90);
      }
    }
    byte[] good = Files.readAllBytes(images.resolve("a.jpg"));
    Files.write(images.resolve("broken.jpg"), java.util.Arrays.copyOf(good, good.length / 3));  // truncated
    Path out = dir.resolve("out").resolve("hashes.csv");

    assertEquals(0, cli.run("hash", "--images", images.toString(), "--out", out.toString(), "--workers", "2",
        "--json"), cli.err());
    JsonNode summary = new ObjectMapper().readTree(cli.out());
    assertEquals(3, summary.get("hashed").asInt());
    assertEquals(1, summary.get("failed").asInt());
    assertTrue(cli.err().contains(images.resolve("broken.jpg").toString()), cli.err());
    String failures = Files.readString(dir.resolve("out").resolve("hashes.csv.failures.txt"));
    assertTrue(failures.startsWith(images.resolve("broken.jpg") + "\t"), failures);
    assertFalse(failures.split("\t", 2)[1].startsWith(images.toString()), "the reason repeats the file: " + failures);

    List<String> lines = Files.readAllLines(out);
    assertEquals("image_id,pdq,quality", lines.get(0));
    assertEquals(4, lines.size());
    PdqCsv.Rows rows = PdqCsv.read(out);
    assertEquals(List.of("a", "b", "sub/c"), rows.ids());
    for (int i = 0; i < names.size(); i++) {
      assertEquals(PdqHasher.hash(images.resolve(names.get(i))), rows.hashes().get(i), names.get(i));
      assertTrue(lines.get(i + 1).matches("[a-z/]+,[0-9a-f]{64},[0-9]{1,3}"), lines.get(i + 1));
    }

    // Again without the broken image, in plain text: the stale list of failures goes.
    Files.delete(images.resolve("broken.jpg"));
    assertEquals(0, cli.run("hash", "--images", images.toString(), "--out", out.toString()), cli.err());
    assertTrue(cli.out().contains("3 images hashed into"), cli.out());
    assertFalse(Files.exists(dir.resolve("out").resolve("hashes.csv.failures.txt")));

    // isc match takes the hash files: each image's nearest is itself at distance 0, the rest 1 - d/256.
    Path matches = dir.resolve("out").resolve("pdq.csv");
    assertEquals(0, cli.run("match", "--queries", out.toString(), "--references", out.toString(), "--k", "2",
        "--out", matches.toString()), cli.err());
    Predictions p = PredictionsCsv.read(matches);
    assertEquals(3 * 2, p.size());
    for (int i = 0; i < p.size(); i++) {
      int d = rows.hashes().get(rows.ids().indexOf(p.queryId(i))).distance(
          rows.hashes().get(rows.ids().indexOf(p.referenceId(i))));
      assertEquals(1f - d / 256f, p.score(i), 1e-6f, p.queryId(i) + " " + p.referenceId(i));
      assertEquals(p.queryId(i).equals(p.referenceId(i)), d == 0, p.queryId(i) + " " + p.referenceId(i));
    }
    assertEquals(2, cli.run("match", "--queries", out.toString(), "--references", out.toString(), "--out",
        matches.toString()));
    assertTrue(cli.err().contains("PDQ hash files are matched with --k"), cli.err());
  }

  @Test
  void helpAndMistakes() {
    assertEquals(0, cli.run("hash", "--help"));
    assertTrue(cli.out().contains("image_id,pdq,quality"), cli.out());
    assertEquals(0, cli.run("--help"));
    assertTrue(cli.out().contains("hash"), cli.out());
    assertEquals(2, cli.run("hash", "--images", dir.toString()));
    assertTrue(cli.err().contains("--out"), cli.err());
    assertEquals(2, cli.run("hash", "--images", dir.toString(), "--out", dir.resolve("h.csv").toString(),
        "--workers", "0"));
    assertTrue(cli.err().contains("--workers must be >= 1, got 0"), cli.err());
    assertEquals(1, cli.run("hash", "--images", dir.resolve("missing").toString(), "--out",
        dir.resolve("h.csv").toString()));
    assertTrue(cli.err().contains("missing"), cli.err());
    assertFalse(Files.exists(dir.resolve("h.csv")));
  }
}
