package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.iscengine.augment.Resources;
import org.iscengine.extract.ImageList;
import org.iscengine.image.Images;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelFile;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TestImages;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class InsClrTrainerTest {
  @TempDir Path dir;

  /** pictures x crops images: overlapping crops of each synthetic picture, as instance views are. */
  private Path images(long seed, int pictures, int crops) throws Exception {
    Path folder = dir.resolve("images");
    Files.createDirectories(folder);
    for (int p = 0; p < pictures; p++) {
      try (Mat image = TestImages.natural(seed + p, 120, 100)) {
        for (int c = 0; c < crops; c++) {
          try (Rect r = new Rect(5 * c, 4 * c, 100 - 5 * c, 84 - 4 * c);
              Mat crop = new Mat(image, r)) {
            Images.write(folder.resolve(String.format("i%02d_%d.jpg", p, c)), crop, 90);
          }
        }
      }
    }
    return folder;
  }

  private InsClrRecipe recipe(String thresholds, int firstSteps) throws Exception {
    Path f = dir.resolve("recipe.yaml");
    Files.writeString(f, """
        name: test
        seed: 5
        defaults:
          architecture: resnet18
          head: fc-bn
          dimension: 16
          gemP: 3.0
          inputSize: 32
          trainSize: 32
          view: moderate
          candidates: 3
          %s
          positivesPerImage: 1
          batchSize: 4
          steps: %d
          lr: 1.0e-3
          weightDecay: 1.0e-4
          margin: 0.4
          memoryFrom: 1000
          memorySamples: 4
          gradClip: 10.0
        stages:
          - name: s1
          - name: s2
            steps: 1
            memoryFrom: 0
        """.formatted(thresholds, firstSteps));
    return InsClrRecipe.read(f);
  }

  /**
   * The whole pipeline on a tiny set: each stage describes the pool with the previous stage's
   * model, selects, trains with a finite loss (the memory bank where the stage asks for it), and
   * writes its files; a second run keeps the finished stages. That steps lower the loss is
   * {@link InsClrStepTest}'s (on a fixed batch: here the views change every step).
   */
  @Test
  void eachStageMinesThePreviousOnesDescriptorsAndAFinishedRunIsKept() throws Exception {
    RandomTensors.withFreshSeed(seed -> {
      ImageList pool = ImageList.of(images(seed, 4, 2));
      // With both thresholds at 1 no candidate is a positive and every one is a hard negative.
      InsClrRecipe recipe = recipe("positiveThreshold: 1.0\n  negativeThreshold: 1.0", 4);
      Path run = dir.resolve("run");
      InsClrTrainer trainer = new InsClrTrainer(recipe, pool, Resources.local(), run, ComputeDevice.CPU,
          new InsClrTrainer.Options(1, null), Progress.none());
      InsClrTrainer.Result result = trainer.run();
      List<Double> losses = trainer.losses();
      assertEquals(5, losses.size());
      assertTrue(losses.stream().allMatch(l -> Double.isFinite(l) && l >= 0), losses.toString());
      assertEquals(2, result.stages().size());
      assertEquals(8, result.stages().get(0).images());
      assertEquals(3, result.stages().get(0).candidates());
      assertEquals(0.0, result.stages().get(0).meanPositives());
      assertEquals(3.0, result.stages().get(0).meanHardNegatives());
      for (String stage : List.of("s1", "s2")) {
        assertTrue(Files.exists(run.resolve(stage).resolve("pool.h5")), stage + " described the pool");
        assertTrue(Files.exists(run.resolve(stage).resolve("model.iscm")));
      }
      try (DescriptorModel m = ModelFile.load(result.model())) {
        assertEquals(16, m.dimension());
      }
      List<String> steps = Files.readAllLines(run.resolve("metrics.jsonl")).stream()
          .filter(l -> l.contains("\"loss\"")).toList();
      assertEquals(5, steps.size());
      assertTrue(steps.get(0).contains("\"memoryRows\":0"), "s1 keeps the memory out: " + steps.get(0));
      assertTrue(steps.get(4).contains("\"memoryRows\":4"), "s2 compares with 4 memory rows: " + steps.get(4));

      InsClrTrainer again = new InsClrTrainer(recipe, pool, Resources.local(), run, ComputeDevice.CPU,
          new InsClrTrainer.Options(1, null), Progress.none());
      InsClrTrainer.Result kept = again.run();
      assertEquals(0, again.losses().size(), "finished stages are kept");
      assertEquals(result.stages(), kept.stages());
    });
  }
}
