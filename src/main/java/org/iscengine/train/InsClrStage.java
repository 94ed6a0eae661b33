package org.iscengine.train;

import java.util.List;
import java.util.Locale;
import org.iscengine.augment.Presets;
import org.iscengine.model.Architecture;
import org.iscengine.model.ModelConfig;
import org.iscengine.model.Pretrained;

/**
 * One InsCLR training stage (shared/ANCHORS.md, "InsCLR"): the previous stage's descriptors of the
 * training pool give each image a candidate pool of its {@code candidates} nearest images; inside
 * it, positives and hard negatives are chosen by similarity ({@link PairSelection}); each step
 * trains {@code batchSize} images, each with {@code positivesPerImage} of its positives (or a second
 * view of itself when it has fewer), with InsCLR's contrastive loss against the batch and, from
 * step {@code memoryFrom}, against {@code memorySamples} rows of the memory bank that holds a
 * descriptor of every pool image; Adam with L2 weight decay; the learning rate falls by
 * {@code lrDecay} at each step of {@code lrDropSteps}, after a linear warm-up.
 *
 * @param name stage name (folder of its files)
 * @param architecture backbone (resnet18 ... resnet101, mobilenetv2)
 * @param pretrained backbone weights the first stage starts from without {@code --init}
 *     (optional; see {@link Pretrained})
 * @param head the descriptor head: fc-bn, linear or none (GeM features, L2)
 * @param dimension descriptor dimension of the head
 * @param gemP GeM power (InsCLR: 3)
 * @param inputSize side of the images when described (candidate pools, evaluation)
 * @param trainSize side of the training views
 * @param view augmentation preset of the training views (e.g. moderate)
 * @param candidates K, the size of every image's candidate pool (InsCLR: 500)
 * @param positiveThreshold similarity at or above which a candidate is a positive
 * @param negativeThreshold similarity below which a candidate is a hard negative
 * @param expandRounds rounds of promoting uncertain candidates (optional, default 0: off; InsCLR's
 *     impr: 4)
 * @param expandSimilarity similarity to a positive that counts towards a candidate's promotion
 *     score (optional; impr: 0.6)
 * @param expandPerRound candidates promoted per round (optional; impr: 5)
 * @param positivesPerImage positives of each batch image trained with it (InsCLR: 3)
 * @param batchSize images per step, each with its positives
 * @param steps optimisation steps
 * @param lr Adam's learning rate
 * @param weightDecay Adam's L2 weight decay
 * @param warmupSteps linear warm-up from lr / 3 (optional, default 0)
 * @param lrDropSteps steps at which the learning rate is multiplied by lrDecay (optional)
 * @param lrDecay the factor of each drop (optional, default 0.1)
 * @param margin negatives cost their similarity above this margin (InsCLR: 0.4); positives cost
 *     1 - similarity
 * @param memoryFrom the first step whose loss includes the memory bank
 * @param memorySamples memory rows per step: the batch's positives and hard negatives, then
 *     random others up to this many
 * @param gradClip maximum global gradient norm (0: none)
 */
public record InsClrStage(
    String name,
    String architecture,
    String pretrained,
    String head,
    int dimension,
    double gemP,
    int inputSize,
    int trainSize,
    String view,
    int candidates,
    double positiveThreshold,
    double negativeThreshold,
    Integer expandRounds,
    Double expandSimilarity,
    Integer expandPerRound,
    int positivesPerImage,
    int batchSize,
    int steps,
    double lr,
    double weightDecay,
    Integer warmupSteps,
    List<Integer> lrDropSteps,
    Double lrDecay,
    double margin,
    int memoryFrom,
    int memorySamples,
    double gradClip) {
  /** Keys a recipe may leave out. */
  public static final List<String> OPTIONAL = List.of("pretrained", "expandRounds", "expandSimilarity",
      "expandPerRound", "warmupSteps", "lrDropSteps", "lrDecay");

  public InsClrStage {
    expandRounds = expandRounds == null ? 0 : expandRounds;
    expandSimilarity = expandSimilarity == null ? 0.0 : expandSimilarity;
    expandPerRound = expandPerRound == null ? 0 : expandPerRound;
    warmupSteps = warmupSteps == null ? 0 : warmupSteps;
    lrDropSteps = lrDropSteps == null ? List.of() : List.copyOf(lrDropSteps);
    lrDecay = lrDecay == null ? 0.1 : lrDecay;
    head = head == null ? null : head.toLowerCase(Locale.ROOT);
    Stage.require(name, name != null && name.matches("[A-Za-z0-9_.-]+"), "name", "letters, digits, '.', '_' or '-'", name);
    try {
      Architecture.of(architecture == null ? "" : architecture);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("stage " + name + ": architecture: " + e.getMessage(), e);
    }
    Stage.require(name, List.of("fc-bn", "linear", "none").contains(head), "head", "fc-bn, linear or none", head);
    Stage.require(name, dimension >= 2 && dimension <= 4096, "dimension", "in [2, 4096]", dimension);
    Stage.require(name, gemP >= 1 && gemP <= 16, "gemP", "in [1, 16]", gemP);
    Stage.require(name, inputSize >= 32 && inputSize <= 2048, "inputSize", "in [32, 2048]", inputSize);
    Stage.require(name, trainSize >= 32 && trainSize <= 2048, "trainSize", "in [32, 2048]", trainSize);
    Stage.require(name, view != null && Presets.NAMES.contains(view.toLowerCase(Locale.ROOT)), "view",
        "an augmentation preset, one of " + Presets.NAMES, view);
    Stage.require(name, candidates >= 1 && candidates <= 10_000, "candidates", "in [1, 10000]", candidates);
    Stage.require(name, positiveThreshold >= -1 && positiveThreshold <= 1, "positiveThreshold", "in [-1, 1]",
        positiveThreshold);
    Stage.require(name, negativeThreshold >= -1 && negativeThreshold <= positiveThreshold, "negativeThreshold",
        "in [-1, positiveThreshold]", negativeThreshold);
    Stage.require(name, expandRounds >= 0 && expandRounds <= 100, "expandRounds", "in [0, 100]", expandRounds);
    Stage.require(name, expandRounds == 0 || expandSimilarity >= -1 && expandSimilarity <= 1, "expandSimilarity",
        "in [-1, 1]", expandSimilarity);
    Stage.require(name, expandRounds == 0 || expandPerRound >= 1, "expandPerRound", ">= 1 when expandRounds > 0",
        expandPerRound);
    Stage.require(name, positivesPerImage >= 1 && positivesPerImage <= 64, "positivesPerImage", "in [1, 64]",
        positivesPerImage);
    Stage.require(name, batchSize >= 2, "batchSize", ">= 2", batchSize);
    Stage.require(name, steps >= 1, "steps", ">= 1", steps);
    Stage.require(name, lr > 0 && lr <= 1, "lr", "in (0, 1]", lr);
    Stage.require(name, weightDecay >= 0 && weightDecay < 1, "weightDecay", "in [0, 1)", weightDecay);
    Stage.require(name, warmupSteps >= 0, "warmupSteps", ">= 0", warmupSteps);
    for (Integer s : lrDropSteps) {
      Stage.require(name, s != null && s >= 1 && s <= steps, "lrDropSteps", "steps in [1, steps]", lrDropSteps);
    }
    Stage.require(name, lrDecay > 0 && lrDecay <= 1, "lrDecay", "in (0, 1]", lrDecay);
    Stage.require(name, margin >= -1 && margin < 1, "margin", "in [-1, 1)", margin);
    Stage.require(name, memoryFrom >= 0, "memoryFrom", ">= 0", memoryFrom);
    Stage.require(name, memorySamples >= 0, "memorySamples", ">= 0", memorySamples);
    Stage.require(name, gradClip >= 0, "gradClip", ">= 0", gradClip);
    Stage.requirePretrainedFor(name, pretrained, architecture);
  }

  /** The descriptor network of this stage. */
  public ModelConfig modelConfig() {
    Architecture a = Architecture.of(architecture);
    return new ModelConfig(a.id(), head, dimension, gemP, false, inputSize, a.mean(), a.std());
  }

  /** The selection's thresholds. */
  public PairSelection.Thresholds thresholds() {
    return new PairSelection.Thresholds(positiveThreshold, negativeThreshold, expandRounds, expandSimilarity,
        expandPerRound);
  }

  /** The learning rate of a step (0-based): warm-up from lr / 3, then lrDecay at each drop passed. */
  public double lrAt(long step) {
    double rate = lr;
    for (int drop : lrDropSteps) {
      if (step >= drop) {
        rate *= lrDecay;
      }
    }
    if (step < warmupSteps) {
      double alpha = (double) step / warmupSteps;
      rate *= 1.0 / 3 * (1 - alpha) + alpha;  // WarmupMultiStepLR's linear warm-up, factor 1/3
    }
    return rate;
  }
}
