package org.iscengine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.augment.EmojiSet;
import org.iscengine.augment.Fonts;
import org.iscengine.augment.ImagePool;
import org.iscengine.augment.Resources;
import org.iscengine.image.Images;
import org.iscengine.progress.Progress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainSetBuilderTest {
  @TempDir Path work;
  private static final Resources RESOURCES = new Resources(ImagePool.empty(), Fonts.hershey(), EmojiSet.generated());

  private TrainSetBuilder.Result build(List<Path> images, Path out, TrainSetBuilder.Options options, int threads) {
    return new TrainSetBuilder(options, RESOURCES, threads, Progress.none()).build(images, out);
  }

  private static List<Path> files(Path out, int classes, int copies) {
    List<Path> files = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      for (int k = 0; k < copies; k++) {
        files.add(out.resolve(String.format("%06d/%02d.jpg", c, k)));
      }
    }
    return files;
  }

  @Test
  void aFolderPerClassWithTheOriginalAndItsCopies() throws Exception {
    List<Path> images = SyntheticPhotos.write(work.resolve("src"), "s", 5, 5, 150, 120);
    var options = new TrainSetBuilder.Options(4, 3, "lyakaap-v83", 64, 11);
    TrainSetBuilder.Result result = build(images, work.resolve("set"), options, 2);
    assertEquals(List.of(), result.failures());
    assertEquals(4, result.manifest().classCount());
    assertEquals(List.of("s000.png", "s001.png", "s002.png", "s003.png"), result.manifest().sources());
    try (var classes = Files.list(work.resolve("set"))) {
      assertEquals(5, classes.count(), "four class folders and the manifest");
    }
    for (Path f : files(work.resolve("set"), 4, 3)) {
      try (Mat image = Images.read(f)) {
        assertEquals(64, image.cols(), f::toString);
        assertEquals(64, image.rows(), f::toString);
      }
    }
    // Copies differ from the original and from each other.
    byte[] original = Files.readAllBytes(work.resolve("set/000002/00.jpg"));
    byte[] first = Files.readAllBytes(work.resolve("set/000002/01.jpg"));
    byte[] second = Files.readAllBytes(work.resolve("set/000002/02.jpg"));
    assertFalse(java.util.Arrays.equals(original, first));
    assertFalse(java.util.Arrays.equals(first, second));

    // Same seed, other thread count: identical bytes. An interrupted build resumes to the same.
    build(images, work.resolve("again"), options, 1);
    Files.delete(work.resolve("set/000001/02.jpg"));
    build(images, work.resolve("set"), options, 3);
    List<Path> a = files(work.resolve("set"), 4, 3);
    List<Path> b = files(work.resolve("again"), 4, 3);
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(Files.readAllBytes(a.get(i)), Files.readAllBytes(b.get(i)), a.get(i).toString());
    }
  }

  @Test
  void badSettingsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new TrainSetBuilder.Options(-1, 0, "d2lv-big", 64, 0));
    var e = assertThrows(IllegalArgumentException.class, () -> new TrainSetBuilder.Options(-1, 2, "nope", 64, 0));
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
    var options = new TrainSetBuilder.Options(-1, 2, "d2lv-big", 64, 0);
    assertThrows(IllegalArgumentException.class, () -> build(List.of(), work.resolve("empty"), options, 1));
  }

  @Test
  void anUnreadableSourceIsReportedAndTheOthersAreBuilt() throws Exception {
    List<Path> images = new ArrayList<>(SyntheticPhotos.write(work.resolve("src"), "s", 6, 2, 150, 120));
    Path broken = work.resolve("src/broken.png");
    Files.write(broken, new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0});
    images.add(1, broken);
    var result = build(images, work.resolve("set"), new TrainSetBuilder.Options(-1, 2, "moderate", 64, 0), 2);
    assertEquals(1, result.failures().size(), result.failures()::toString);
    assertTrue(result.failures().get(0).contains("broken.png"), result.failures()::toString);
    assertTrue(Files.exists(work.resolve("set/000000/01.jpg")));
    assertTrue(Files.exists(work.resolve("set/000002/01.jpg")));
    assertFalse(Files.exists(work.resolve("set/000001/00.jpg")));
  }
}
