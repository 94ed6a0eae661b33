package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.iscengine.image.Images;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelFile;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassTrainerTest {
  @TempDir Path dir;

  /** classes folders of members images: a picture, and crops and mirror images of it. */
  private Path classFolders(int classes, int members) {
    Path root = dir.resolve("classes");
    for (int c = 0; c < classes; c++) {
      Path folder = root.resolve(String.format("%05d", c));
      try (Mat image = TestImages.natural(100 + c, 120, 100)) {
        Files.createDirectories(folder);
        for (int m = 0; m < members; m++) {
          try (Rect r = new Rect(3 * m, 2 * m, 120 - 6 * m, 100 - 4 * m);
              Mat crop = new Mat(image, r);
              Mat copy = new Mat()) {
            if (m % 2 == 1) {
              opencv_core.flip(crop, copy, 1);
            } else {
              crop.copyTo(copy);
            }
            Images.write(folder.resolve(String.format("%02d.jpg", m)), copy, 90);
          }
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return root;
  }

  private static ClassRecipe recipe(long steps) {
    return new ClassRecipe("test", 1, "resnet18", 64, "fc-bn", 32, 3.0, 3, 2, steps, 0.01, 2, 0.9, 1e-4, 0.1, 10,
        1, 2, 20, 0.1, 0.2, 5);
  }

  @Test
  void aFewStepsLowerTheLossAndTheModelFileHasNoClassifier() throws Exception {
    ClassTrainer.Classes classes = ClassTrainer.Classes.under(classFolders(6, 4));
    assertEquals(6, classes.names().size());
    Path run = dir.resolve("run");
    ClassTrainer.Result result = new ClassTrainer(recipe(16), classes, run, ComputeDevice.CPU, Progress.none()).run();
    List<Double> losses = result.losses();
    assertEquals(16, losses.size());
    double first = losses.subList(0, 4).stream().mapToDouble(d -> d).average().orElseThrow();
    double last = losses.subList(12, 16).stream().mapToDouble(d -> d).average().orElseThrow();
    assertTrue(last < first, "the loss falls: " + losses);
    assertEquals(16, Files.readAllLines(run.resolve("metrics.jsonl")).size());
    assertTrue(Files.size(run.resolve("loss.png")) > 1000);
    try (DescriptorModel m = ModelFile.load(result.model())) {  // a strict load: backbone and head, nothing else
      assertEquals(32, m.dimension());
      assertEquals("resnet18", m.config().architecture());
    }
  }

  @Test
  void recipesAreCheckedAndTheBuiltInsParse() throws Exception {
    ClassRecipe mini = ClassRecipe.named("d2lv-mini");
    assertEquals(4, mini.perClass());
    assertEquals(10.0, mini.ceWeight());
    ClassRecipe full = ClassRecipe.named("d2lv-full");
    assertEquals(128, full.classesPerBatch() * full.perClass(), "batch 128, 4 instances per class");
    assertEquals("none", full.head());
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, Files.readString(Path.of("src/main/resources/org/iscengine/train/classes/d2lv-mini.yaml"))
        .replace("perClass: 4", "perClass: 1"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClassRecipe.named(bad.toString()));
    assertTrue(e.getMessage().contains("perClass"), e.getMessage());
    Files.writeString(bad, "name: x\nseed: 0\n");
    e = assertThrows(IllegalArgumentException.class, () -> ClassRecipe.named(bad.toString()));
    assertTrue(e.getMessage().contains("not a class recipe"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ClassTrainer.Classes.under(dir.resolve("none")));
    assertThrows(IllegalArgumentException.class, () -> new ClassTrainer(recipe(1),
        ClassTrainer.Classes.under(classFolders(2, 2)), dir.resolve("r"), ComputeDevice.CPU, Progress.none()),
        "3 classes per batch from 2");
  }
}
