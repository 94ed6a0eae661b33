package org.iscengine.train;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import java.util.List;
import java.util.Locale;
import org.iscengine.augment.Presets;
import org.iscengine.model.Architecture;
import org.iscengine.model.ModelConfig;
import org.iscengine.model.Pretrained;

/**
 * One training stage: the model's shape, the data views, the optimizer and its schedule, the
 * memory-bank loss. A stage starts from the previous stage's weights (the first from random or
 * {@code --init} weights).
 *
 * @param name stage name (folder of its checkpoints and model)
 * @param architecture backbone (resnet18 ... tf_efficientnetv2_m)
 * @param inputSize side of the square training views in pixels
 * @param dimension descriptor dimension of the fc-bn head
 * @param gemP GeM power (the winner: 1)
 * @param views augmentation presets of the two views of an image (e.g. moderate, lyakaap-v83)
 * @param pairs train on (query, reference) ground-truth pairs instead of two views of one image
 *     (the winner's last fine-tuning stage): the views are the two images, resized only
 * @param referenceNegatives extra reference images per sample, as negatives (the winner's v98: 2)
 * @param batchSize images per step (each gives two views)
 * @param epochs passes over the training images
 * @param lr peak learning rate of SGD
 * @param momentum SGD momentum
 * @param weightDecay L2 weight decay
 * @param warmupSteps linear warm-up from 0 to lr
 * @param schedule decay after the warm-up: cosine, linear or constant
 * @param gradClip maximum global gradient norm (0: no clipping)
 * @param memorySize rows of the memory bank
 * @param posMargin contrastive positive margin
 * @param negMargin contrastive negative margin
 * @param amp mixed precision (CUDA only)
 * @param freeze parameter-name prefixes kept fixed (e.g. {@code backbone.layer1}, a module and
 *     what it holds; {@code backbone.block_1_*}, every name that begins so; optional, default
 *     none): with little training data, training only the upper layers keeps the lower ones'
 *     generic filters. BatchNorm statistics of frozen layers still follow the data.
 * @param entropyWeight weight of SSCD's entropy regularizer added to the loss (optional, default
 *     0: off; see {@link EntropyRegularizer})
 * @param pretrained backbone weights a stage starts from when no earlier stage or {@code --init}
 *     gives weights (optional; e.g. {@code nsfwjs-mobilenet_v2} for mobilenetv2; see
 *     {@link Pretrained}); the head starts random
 */
@JsonDeserialize(builder = Stage.Builder.class)
public record Stage(
    String name,
    String architecture,
    int inputSize,
    int dimension,
    double gemP,
    List<String> views,
    boolean pairs,
    int referenceNegatives,
    int batchSize,
    int epochs,
    double lr,
    double momentum,
    double weightDecay,
    int warmupSteps,
    String schedule,
    double gradClip,
    int memorySize,
    double posMargin,
    double negMargin,
    boolean amp,
    List<String> freeze,
    Double entropyWeight,
    String pretrained) {
  public static final List<String> SCHEDULES = List.of("cosine", "linear", "constant");
  /** Keys a recipe may leave out. */
  public static final List<String> OPTIONAL = List.of("freeze", "entropyWeight", "pretrained");

  /** Where the defaults of the keys a stage may leave out are applied (null: left out). */
  public Stage {
    views = views == null ? List.of() : List.copyOf(views);
    freeze = freeze == null ? List.of() : List.copyOf(freeze);
    entropyWeight = entropyWeight == null ? 0.0 : entropyWeight;
    schedule = schedule == null ? "cosine" : schedule.toLowerCase(Locale.ROOT);
    require(name, name != null && name.matches("[A-Za-z0-9_.-]+"), "name", "letters, digits, '.', '_' or '-'",
        name);
    try {
      Architecture.of(architecture == null ? "" : architecture);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("stage " + name + ": " + e.getMessage(), e);
    }
    require(name, inputSize >= 32 && inputSize <= 2048, "inputSize", "in [32, 2048]", inputSize);
    require(name, dimension >= 2 && dimension <= 4096, "dimension", "in [2, 4096]", dimension);
    require(name, gemP >= 1 && gemP <= 16, "gemP", "in [1, 16]", gemP);
    require(name, pairs || views.size() == 2, "views", "two augmentation presets", views);
    for (String v : views) {
      if (!Presets.NAMES.contains(v.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException("stage " + name + ": views: unknown preset '" + v + "'; known: "
            + Presets.NAMES);
      }
    }
    require(name, referenceNegatives >= 0 && referenceNegatives <= 16, "referenceNegatives", "in [0, 16]",
        referenceNegatives);
    require(name, batchSize >= 2, "batchSize", ">= 2", batchSize);
    require(name, epochs >= 1, "epochs", ">= 1", epochs);
    require(name, lr > 0 && lr <= 10, "lr", "in (0, 10]", lr);
    require(name, momentum >= 0 && momentum < 1, "momentum", "in [0, 1)", momentum);
    require(name, weightDecay >= 0 && weightDecay < 1, "weightDecay", "in [0, 1)", weightDecay);
    require(name, warmupSteps >= 0, "warmupSteps", ">= 0", warmupSteps);
    require(name, SCHEDULES.contains(schedule), "schedule", "one of " + SCHEDULES, schedule);
    require(name, gradClip >= 0, "gradClip", ">= 0", gradClip);
    int viewsPerStep = batchSize * (2 + referenceNegatives);
    require(name, memorySize >= viewsPerStep, "memorySize", ">= the views of one step (" + viewsPerStep + ")",
        memorySize);
    require(name, Double.isFinite(posMargin) && Double.isFinite(negMargin) && posMargin < negMargin, "margins",
        "finite, posMargin < negMargin", posMargin + " / " + negMargin);
    require(name, Double.isFinite(entropyWeight) && entropyWeight >= 0 && entropyWeight <= 1000, "entropyWeight",
        "in [0, 1000]", entropyWeight);
    requirePretrainedFor(name, pretrained, architecture);
    for (String f : freeze) {
      require(name, f != null && !f.isBlank(), "freeze", "parameter-name prefixes", freeze);
    }
  }

  /**
   * A stage set by name, as recipes are read. Left unset: no pairs, reference negatives, weight
   * decay, momentum, warm-up, clipping, mixed precision, frozen layers, entropy regularizer or
   * pretrained weights, and a cosine schedule; everything else must be set (the checks name what is
   * missing).
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Sets a {@link Stage}'s components by name; {@link #build} checks them. */
  @JsonPOJOBuilder(withPrefix = "")
  public static final class Builder {
    private String name;
    private String architecture;
    private int inputSize;
    private int dimension;
    private double gemP;
    private List<String> views;
    private boolean pairs;
    private int referenceNegatives;
    private int batchSize;
    private int epochs;
    private double lr;
    private double momentum;
    private double weightDecay;
    private int warmupSteps;
    private String schedule;
    private double gradClip;
    private int memorySize;
    private double posMargin;
    private double negMargin;
    private boolean amp;
    private List<String> freeze;
    private Double entropyWeight;
    private String pretrained;

    private Builder() {}

    public Builder name(String value) {
      name = value;
      return this;
    }

    public Builder architecture(String value) {
      architecture = value;
      return this;
    }

    public Builder inputSize(int value) {
      inputSize = value;
      return this;
    }

    public Builder dimension(int value) {
      dimension = value;
      return this;
    }

    public Builder gemP(double value) {
      gemP = value;
      return this;
    }

    public Builder views(List<String> value) {
      views = value;
      return this;
    }

    public Builder pairs(boolean value) {
      pairs = value;
      return this;
    }

    public Builder referenceNegatives(int value) {
      referenceNegatives = value;
      return this;
    }

    public Builder batchSize(int value) {
      batchSize = value;
      return this;
    }

    public Builder epochs(int value) {
      epochs = value;
      return this;
    }

    public Builder lr(double value) {
      lr = value;
      return this;
    }

    public Builder momentum(double value) {
      momentum = value;
      return this;
    }

    public Builder weightDecay(double value) {
      weightDecay = value;
      return this;
    }

    public Builder warmupSteps(int value) {
      warmupSteps = value;
      return this;
    }

    public Builder schedule(String value) {
      schedule = value;
      return this;
    }

    public Builder gradClip(double value) {
      gradClip = value;
      return this;
    }

    public Builder memorySize(int value) {
      memorySize = value;
      return this;
    }

    public Builder posMargin(double value) {
      posMargin = value;
      return this;
    }

    public Builder negMargin(double value) {
      negMargin = value;
      return this;
    }

    public Builder amp(boolean value) {
      amp = value;
      return this;
    }

    public Builder freeze(List<String> value) {
      freeze = value;
      return this;
    }

    public Builder entropyWeight(Double value) {
      entropyWeight = value;
      return this;
    }

    public Builder pretrained(String value) {
      pretrained = value;
      return this;
    }

    /** @throws IllegalArgumentException naming the stage, the key and the value that is wrong or missing */
    public Stage build() {
      return new Stage(name, architecture, inputSize, dimension, gemP, views, pairs, referenceNegatives, batchSize,
          epochs, lr, momentum, weightDecay, warmupSteps, schedule, gradClip, memorySize, posMargin, negMargin, amp,
          freeze, entropyWeight, pretrained);
    }
  }

  /** Whether a parameter (by its name in the descriptor model) is kept fixed in this stage. */
  public boolean frozen(String parameter) {
    return freeze.stream().anyMatch(f -> f.endsWith("*") ? parameter.startsWith(f.substring(0, f.length() - 1))
        : parameter.equals(f) || parameter.startsWith(f + "."));
  }

  /** The descriptor network this stage trains (fc-bn head, the backbone's normalisation). */
  public ModelConfig modelConfig() {
    Architecture a = Architecture.of(architecture);
    return new ModelConfig(architecture, "fc-bn", dimension, gemP, false, inputSize, a.mean(), a.std());
  }

  /** A stage's pretrained weights (null: none) must exist and be for the stage's architecture. */
  static void requirePretrainedFor(String stage, String pretrained, String architecture) {
    if (pretrained == null) {
      return;
    }
    Pretrained p;
    try {
      p = Pretrained.of(pretrained);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("stage " + stage + ": pretrained: " + e.getMessage(), e);
    }
    require(stage, p.architecture() == Architecture.of(architecture), "pretrained",
        "weights for the stage's architecture (" + p.id() + " is for " + p.architecture().id() + ")", pretrained);
  }

  /** Refuses a stage whose key is out of range, naming the stage, the key, the range and the value. */
  static void require(String stage, boolean ok, String key, String what, Object value) {
    if (!ok) {
      throw new IllegalArgumentException("stage " + stage + ": " + key + " must be " + what + ", got " + value);
    }
  }
}
