package org.iscengine.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.augment.Rng;
import org.iscengine.describe.Preprocess;
import org.iscengine.image.ImageFormat;
import org.iscengine.image.Images;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.Tensors;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.Linear;
import org.iscengine.model.ModelConfig;
import org.iscengine.model.ModelFile;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.runtime.ComputeThreads;

/**
 * Class training, the matching-track winner's: one class per folder of {@code isc data
 * train-set} (a source image and its augmented copies), P x K batches, the network's unit
 * descriptors into SoftTriple and the head's output before normalisation into a linear classifier
 * with label-smoothed cross-entropy,
 * SGD with warm-up then cosine. The model file written at the end holds the backbone and head
 * only: the classifier and SoftTriple's centres are dropped, as the winner's export drops its
 * classifier. {@code metrics.jsonl} and {@code loss.png} record the steps.
 */
public final class ClassTrainer {
  /** The classes: one folder each under a root, its images the members. */
  public record Classes(List<String> names, List<List<Path>> members) {
    /** Every sub-folder of root that holds images, in name order. */
    public static Classes under(Path root) {
      if (!Files.isDirectory(root)) {
        throw new IllegalArgumentException(root + " is not a folder of class folders (isc data train-set makes one)");
      }
      List<String> names = new ArrayList<>();
      List<List<Path>> members = new ArrayList<>();
      try (Stream<Path> folders = Files.list(root)) {
        for (Path folder : folders.filter(Files::isDirectory).sorted().toList()) {
          try (Stream<Path> files = Files.list(folder)) {
            List<Path> images = files.filter(f -> ImageFormat.ofExtension(f.getFileName().toString()).isPresent())
                .sorted().toList();
            if (!images.isEmpty()) {
              names.add(folder.getFileName().toString());
              members.add(images);
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
      }
      if (names.size() < 2) {
        throw new IllegalArgumentException(root + " holds " + names.size() + " class folder(s) with images; class"
            + " training needs at least 2");
      }
      return new Classes(names, members);
    }
  }

  /** What a run made: the model file and the loss of each step. */
  public record Result(Path model, List<Double> losses) {}

  private final ClassRecipe recipe;
  private final Classes classes;
  private final Path runDir;
  private final ComputeDevice device;
  private final Progress.Factory progress;

  public ClassTrainer(ClassRecipe recipe, Classes classes, Path runDir, ComputeDevice device,
      Progress.Factory progress) {
    if (recipe.classesPerBatch() > classes.names().size()) {
      throw new IllegalArgumentException("recipe " + recipe.name() + " takes " + recipe.classesPerBatch()
          + " classes per batch; the data has " + classes.names().size());
    }
    this.recipe = recipe;
    this.classes = classes;
    this.runDir = runDir;
    this.device = device;
    this.progress = progress;
  }

  public Result run() {
    ComputeThreads.configure();
    torch.manual_seed(recipe.seed());
    ModelConfig config = recipe.modelConfig();
    int n = classes.names().size();
    List<Double> losses = new ArrayList<>();
    try {
      Files.createDirectories(runDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + runDir + ": " + e.getMessage(), e);
    }
    try (DescriptorModel model = new DescriptorModel(config);
        Device torchDevice = device.torchDevice()) {
      model.moveTo(device, ScalarType.Float);
      model.train(true);
      int dim = model.dimension();
      try (Linear classifier = new Linear(dim, n, true);
          SoftTripleLoss triple = new SoftTripleLoss(recipe.softTriple(n, dim));
          TensorVector backboneParameters = model.parameters();
          TensorVector headParameters = classifier.parameters();
          TrainingLog log = new TrainingLog(runDir)) {
        classifier.to(torchDevice, false);
        try (Tensor centres = triple.centers().to(torchDevice, ScalarType.Float)) {
          triple.centers().set_data(centres);
        }
        headParameters.push_back(triple.centers());
        try (Sgd sgd = new Sgd(backboneParameters, recipe.momentum(), recipe.weightDecay());
            Sgd headSgd = new Sgd(headParameters, recipe.momentum(), recipe.weightDecay())) {
          PkSampler sampler = new PkSampler(classes.members().stream().mapToInt(List::size).toArray(),
              recipe.classesPerBatch(), recipe.perClass(), recipe.seed());
          try (Progress bar = progress.start("class training", recipe.steps())) {
            for (long step = 0; step < recipe.steps(); step++) {
              double lr = LearningRate.at(recipe.lr(), recipe.warmupSteps(), "cosine", step, recipe.steps());
              double[] parts = step(model, classifier, triple, sampler.next(), config, torchDevice, step, sgd, headSgd,
                  lr);
              losses.add(parts[0]);
              Map<String, Object> record = new LinkedHashMap<>();
              record.put("stage", recipe.name());
              record.put("step", step);
              record.put("total", recipe.steps());
              record.put("loss", parts[0]);
              record.put("crossEntropy", parts[1]);
              record.put("softTriple", parts[2]);
              record.put("lr", lr);
              log.event(record);
              bar.step();
            }
          }
        }
        log.plot();
      }
      model.train(false);
      Path file = runDir.resolve("model.iscm");
      ModelFile.save(file, model, "class training (" + recipe.name() + ", " + n + " classes, " + recipe.steps()
          + " steps; classifier and SoftTriple centres dropped)");
      return new Result(file, losses);
    }
  }

  /** One step: the batch's images, the two losses through the network, both optimisers; {total, ce, softTriple}. */
  private double[] step(DescriptorModel model, Linear classifier, SoftTripleLoss triple, List<PkSampler.Draw> draws,
      ModelConfig config, Device torchDevice, long step, Sgd sgd, Sgd headSgd, double lr) {
    try (PointerScope scope = new PointerScope()) {
      int size = config.inputSize();
      int plane = 3 * size * size;
      float[] pixels = new float[draws.size() * plane];
      long[] labels = new long[draws.size()];
      Rng rng = Rng.of(recipe.seed(), step);
      for (int i = 0; i < draws.size(); i++) {
        PkSampler.Draw d = draws.get(i);
        try (Mat image = Images.read(classes.members().get(d.label()).get(d.member()))) {
          System.arraycopy(Preprocess.chw(image, size, Preprocess.Resize.SQUARE, rng.chance(0.5)), 0, pixels,
              i * plane, plane);
        }
        labels[i] = d.label();
      }
      Tensor x = HostTensors.tensor(pixels, torchDevice, false, draws.size(), 3, size, size);
      Tensor input = Preprocess.normalise(x, config).contiguous(torch.MemoryFormat.ChannelsLast);
      Tensor y = torch.tensor(labels).to(torchDevice, ScalarType.Long, false, false,
          new org.bytedeco.pytorch.MemoryFormatOptional());
      sgd.zeroGrad();
      headSgd.zeroGrad();
      double[] parts = new double[3];
      Trainer.backpropagate(model, input, config.gemP(), MixedPrecision.FLOAT32, embeddings -> {
        Tensor leaf = embeddings.detach().requires_grad_(true);
        Tensor unit = Tensors.l2Normalize(leaf);
        // The classifier reads the head's output before the L2 step (its BatchNorm, as the winner's
        // "BNNeck"): on unit vectors a linear classifier's logits stay too small to learn hundreds of classes.
        Tensor ce = torch.cross_entropy_loss(classifier.forward(leaf), y, new TensorOptional(), 1, -100,
            recipe.labelSmoothing());
        Tensor st = triple.loss(unit, y);
        Tensor total = ce.mul(new Scalar(recipe.ceWeight())).add(st.mul(new Scalar(recipe.tripleWeight())));
        total.backward(new Tensor(), new BoolOptional(), false, new TensorArrayRefOptional());
        parts[0] = total.item_double();
        parts[1] = ce.item_double();
        parts[2] = st.item_double();
        return new Tensor(leaf.grad());
      });
      sgd.clipGradients(recipe.gradClip());
      headSgd.clipGradients(recipe.gradClip());
      sgd.step(lr);
      headSgd.step(lr);
      return parts;
    }
  }
}
