package org.iscengine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.runtime.ConvolutionSuite;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The convolution check's suite holds every convolution the bundled networks run at 128 and 224 px. */
class ConvolutionSuiteCoverageTest {
  @ParameterizedTest
  @EnumSource(Architecture.class)
  void everyConvolutionOfTheNetworkIsInTheSuite(Architecture architecture) {
    Set<ConvolutionSuite.Case> suite = new HashSet<>(ConvolutionSuite.CASES);
    Set<String> missing = new TreeSet<>();
    int traced = 0;
    for (int size : new int[] {128, 224}) {
      try (DescriptorModel model = new DescriptorModel(ModelConfig.winner(architecture.id(), size));
          PointerScope scope = new PointerScope()) {
        List<ConvolutionSuite.Case> run = Conv2d.traced(() -> model.describe(torch.randn(1, 3, size, size)).close());
        traced += run.size();
        for (ConvolutionSuite.Case c : run) {
          if (!suite.contains(c)) {
            missing.add(c + " at " + size + " px");
          }
        }
      }
    }
    assertTrue(traced > 30, architecture + " ran only " + traced + " convolutions");
    assertEquals(Set.of(), missing, architecture.id());
  }
}
