package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.model.DescriptorModel;
import org.iscengine.model.ModelConfig;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;

class InsClrStepTest {
  @Test
  void stepsOnAFixedBatchLowerItsLoss() {
    long seed = RandomTensors.freshSeed();
    torch.manual_seed(seed);
    int rows = 8;
    float[] pos = new float[rows * rows];
    float[] neg = new float[rows * rows];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < rows; c++) {
        if (r != c) {
          (r / 2 == c / 2 ? pos : neg)[r * rows + c] = 1;
        }
      }
    }
    InsClrLoss loss = new InsClrLoss(0.4);
    List<Double> losses = new ArrayList<>();
    try (DescriptorModel model = new DescriptorModel(new ModelConfig("resnet18", "fc-bn", 16, 3.0, false, 32,
            ModelConfig.IMAGENET_MEAN, ModelConfig.IMAGENET_STD));
        Tensor input = RandomTensors.uniform(seed, -1, 1, rows, 3, 32, 32)) {
      model.train(true);
      try (TensorVector parameters = model.parameters();
          Adam adam = new Adam(parameters, 1e-4)) {
        for (int step = 0; step < 6; step++) {
          try (PointerScope scope = new PointerScope()) {
            adam.zeroGrad();
            double[] value = new double[1];
            Trainer.backpropagate(model, input, 3.0, MixedPrecision.FLOAT32, embeddings -> {
              InsClrLoss.Value v = loss.evaluate(embeddings, null, pos, neg);
              value[0] = v.loss();
              return v.gradient();
            });
            adam.step(1e-3);
            losses.add(value[0]);
          }
        }
      }
    }
    assertTrue(losses.get(5) < losses.get(0), "loss falls on a fixed batch: " + losses + " [seed " + seed + "]");
  }
}
