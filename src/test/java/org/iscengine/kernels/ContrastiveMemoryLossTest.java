package org.iscengine.kernels;

import static org.iscengine.testing.TensorAssert.assertNormRelativeError;
import static org.iscengine.testing.TensorAssert.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.errors.IscException;
import org.iscengine.runtime.ComputeDevice;
import org.iscengine.runtime.CpuKernels;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The native memory-bank contrastive loss against its float64 LibTorch autograd reference. */
class ContrastiveMemoryLossTest {
  private static Tensor embeddings(float... rowMajor2d) {
    Tensor t = torch.empty(rowMajor2d.length / 2, 2);
    try (FloatPointer p = new FloatPointer(t.data_ptr())) {
      p.put(rowMajor2d);
    }
    return t;
  }

  @Test
  void handComputedExampleFollowsCrossBatchMemory() {
    ContrastiveMemoryLoss loss = new ContrastiveMemoryLoss(0.0, 1.0);
    try (MemoryBank bank = new MemoryBank(4, 2);
        Tensor views = embeddings(3, 0, 0, 2);  // two views of image 7, orthogonal
        Tensor sameImage = torch.tensor(7L, 7L)) {
      try (ContrastiveForward f = loss.forward(views, sameImage, bank)) {
        // Each view is compared with the other's fresh bank copy (d = sqrt 2), not its own.
        ContrastiveStats s = f.stats();
        assertEquals(2, s.positivePairs());
        assertEquals(2, s.activePositives());
        assertEquals(0, s.negativePairs());
        assertEquals(Math.sqrt(2), s.loss(), 1e-6);
        assertEquals(0.0, s.negLoss());
      }
      assertEquals(2, bank.queueIndex());
      assertEquals(2, bank.rows());
      assertFalse(bank.isFilled());
      try (Tensor diagonal = embeddings(1, 1);
          Tensor other = torch.tensor(8L);
          ContrastiveForward f = loss.forward(diagonal, other, bank)) {
        // Two negatives at d = sqrt(2 - sqrt 2), each costing 1 - d; its own copy is no pair.
        double d = Math.sqrt(2 - Math.sqrt(2));
        ContrastiveStats s = f.stats();
        assertEquals(2, s.negativePairs());
        assertEquals(2, s.activeNegatives());
        assertEquals(0, s.positivePairs());
        assertEquals(1 - d, s.loss(), 1e-6);
        // The bank now holds the unit vectors.
        double[] rows = values(bank.embeddings());
        assertEquals(1.0, rows[0], 1e-7);
        assertEquals(1.0, rows[3], 1e-7);
        assertEquals(Math.sqrt(0.5), rows[4], 1e-7);
      }
    }
  }

  @Test
  void matchesFloat64AutogradOverBatchesThatWrapTheRing() {
    long seed = RandomTensors.freshSeed();
    Random random = new Random(seed);
    int dim = 17;
    int size = 40;
    double posMargin = 0.1;
    double negMargin = 1.1;
    ContrastiveMemoryLoss kernel = new ContrastiveMemoryLoss(posMargin, negMargin);
    ContrastiveMemoryLoss reference = ContrastiveMemoryLoss.reference(posMargin, negMargin);
    try (MemoryBank ours = new MemoryBank(size, dim);
        MemoryBank theirs = new MemoryBank(size, dim)) {
      for (int step = 0; step < 6; step++) {
        int batch = step == 0 ? 1 : 13;  // a lone first item has no pair of its own label
        long[] labelValues = new long[batch];
        for (int i = 0; i < batch; i++) {
          labelValues[i] = random.nextInt(6);
        }
        String at = "seed " + seed + " step " + step;
        try (Tensor x = RandomTensors.uniform(seed + step, -1, 1, batch, dim);
            Tensor x64 = x.to(ScalarType.Double);
            Tensor labels = torch.tensor(labelValues);
            ContrastiveForward got = kernel.forward(x, labels, ours);
            ContrastiveForward want = reference.forward(x64, labels, theirs)) {
          ContrastiveStats g = got.stats();
          ContrastiveStats w = want.stats();
          assertEquals(w.positivePairs(), g.positivePairs(), at);
          assertEquals(w.negativePairs(), g.negativePairs(), at);
          assertEquals(w.activePositives(), g.activePositives(), at);
          assertEquals(w.activeNegatives(), g.activeNegatives(), at);
          assertEquals(w.posLoss(), g.posLoss(), 1e-5 * (1 + Math.abs(w.posLoss())), at);
          assertEquals(w.negLoss(), g.negLoss(), 1e-5 * (1 + Math.abs(w.negLoss())), at);
          assertEquals(w.loss(), g.loss(), 1e-5 * (1 + Math.abs(w.loss())), at);
          try (Tensor gradGot = kernel.backward(got, 0.5);
              Tensor gradWant = reference.backward(want, 0.5)) {
            assertNormRelativeError(gradGot, gradWant, 1e-4, "dL/dx, " + at);
          }
          assertArrayEquals(values(theirs.embeddings()), values(ours.embeddings()), 1e-6, "bank rows, " + at);
          assertArrayEquals(values(theirs.labels()), values(ours.labels()), 0.0, "bank labels, " + at);
        }
      }
      assertTrue(ours.isFilled(), "6 batches overflow a bank of 40");
      assertEquals((1 + 5 * 13) % size, ours.queueIndex());
    }
  }

  @Test
  void resultDoesNotDependOnTheThreadCount() {
    int before = CpuKernels.threads();
    long seed = RandomTensors.freshSeed();
    double[] losses = new double[2];
    double[][] grads = new double[2][];
    try {
      for (int run = 0; run < 2; run++) {
        CpuKernels.setThreads(run == 0 ? 1 : 3);
        try (MemoryBank bank = new MemoryBank(3000, 32);
            Tensor warm = RandomTensors.uniform(seed, -1, 1, 2000, 32);
            Tensor warmLabels = torch.arange(new org.bytedeco.pytorch.Scalar(2000L));
            Tensor x = RandomTensors.uniform(seed + 1, -1, 1, 64, 32);
            Tensor labels = torch.remainder(torch.arange(new org.bytedeco.pytorch.Scalar(64L)),
                new org.bytedeco.pytorch.Scalar(20L))) {
          ContrastiveMemoryLoss loss = new ContrastiveMemoryLoss(0, 1);
          loss.forward(warm, warmLabels, bank).close();
          try (ContrastiveForward f = loss.forward(x, labels, bank);
              Tensor g = loss.backward(f, 1)) {
            losses[run] = f.loss();
            grads[run] = values(g);
          }
        }
      }
    } finally {
      CpuKernels.setThreads(before);
    }
    assertEquals(losses[0], losses[1], 0.0, "seed " + seed);
    assertArrayEquals(grads[0], grads[1], 0.0, "seed " + seed);
  }

  @Test
  void bankSurvivesSaveAndLoad(@TempDir Path dir) throws Exception {
    long seed = RandomTensors.freshSeed();
    ContrastiveMemoryLoss loss = new ContrastiveMemoryLoss(0, 1);
    Path file = dir.resolve("bank.pt");
    try (MemoryBank bank = new MemoryBank(10, 5)) {
      for (int step = 0; step < 3; step++) {
        try (Tensor x = RandomTensors.uniform(seed + step, -1, 1, 4, 5);
            Tensor labels = torch.tensor(1L, 2L, 3L, (long) step)) {
          loss.forward(x, labels, bank).close();
        }
      }
      bank.save(file);
      try (MemoryBank restored = MemoryBank.load(file, ComputeDevice.CPU)) {
        assertEquals(bank.queueIndex(), restored.queueIndex());
        assertEquals(bank.isFilled(), restored.isFilled());
        assertEquals(10, restored.size());
        assertEquals(5, restored.dim());
        assertArrayEquals(values(bank.embeddings()), values(restored.embeddings()), 0.0);
        assertArrayEquals(values(bank.labels()), values(restored.labels()), 0.0);
      }
    }
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count(), "no temporary file is left behind");
    }
    Path garbage = dir.resolve("garbage.pt");
    Files.write(garbage, new byte[] {1, 2, 3, 4, 5});
    IscException corrupt = assertThrows(IscException.class, () -> MemoryBank.load(garbage, ComputeDevice.CPU));
    assertEquals(IscException.Kind.CORRUPT_DATA, corrupt.kind());
    assertTrue(corrupt.getMessage().contains("garbage.pt"), corrupt.getMessage());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> MemoryBank.load(dir.resolve("none.pt"), ComputeDevice.CPU));
    assertTrue(e.getMessage().contains("not found"), e.getMessage());
  }

  @Test
  void badArgumentsAreNamedAndLeaveTheBankUntouched() {
    ContrastiveMemoryLoss loss = new ContrastiveMemoryLoss(0, 1);
    try (MemoryBank bank = new MemoryBank(8, 4);
        Tensor x = RandomTensors.uniform(1, -1, 1, 3, 4);
        Tensor wide = RandomTensors.uniform(1, -1, 1, 3, 5);
        Tensor many = RandomTensors.uniform(1, -1, 1, 9, 4);
        Tensor labels = torch.tensor(1L, 2L, 3L);
        Tensor manyLabels = torch.zeros(9).to(ScalarType.Long);
        Tensor floatLabels = torch.zeros(3);
        Tensor fewLabels = torch.tensor(1L, 2L);
        Tensor nan = RandomTensors.uniform(1, -1, 1, 3, 4)) {
      try (FloatPointer p = new FloatPointer(nan.data_ptr())) {
        p.put(5, Float.NaN);
      }
      assertMessage(() -> loss.forward(wide, labels, bank), "dimension 5", "bank 4");
      assertMessage(() -> loss.forward(many, manyLabels, bank), "batch of 9", "size 8");
      assertMessage(() -> loss.forward(x, floatLabels, bank), "int64");
      assertMessage(() -> loss.forward(x, fewLabels, bank), "shape [3]");
      assertMessage(() -> loss.forward(nan, labels, bank), "NaN", "row 1");
      assertMessage(() -> new ContrastiveMemoryLoss(Double.NaN, 1), "margins");
      assertEquals(0, bank.queueIndex(), "nothing was enqueued");
      double[] empty = new double[8];
      java.util.Arrays.fill(empty, -1);
      assertArrayEquals(empty, values(bank.labels()), 0.0);
    }
  }

  private static void assertMessage(org.junit.jupiter.api.function.Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), () -> "'" + e.getMessage() + "' should mention '" + f + "'");
    }
  }
}
