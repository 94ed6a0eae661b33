package org.iscengine.train;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.runtime.ComputeDevice;

/**
 * InsCLR's memory bank: one unit descriptor per image of the training pool, addressed by the
 * image's index, filled at the start of a stage with the descriptors its candidate pools came
 * from and overwritten by each step's fresh (detached) embeddings of the images it trained.
 * Unlike {@link org.iscengine.kernels.MemoryBank}, a ring of the latest batches, every image keeps
 * its row, so the loss can reach any image's positives and negatives. Not thread-safe.
 */
final class PoolMemory implements AutoCloseable {
  private final Tensor rows;

  /** A copy of features [images, d] (float32) on device. */
  PoolMemory(Tensor features, ComputeDevice device) {
    try (Device d = device.torchDevice()) {
      this.rows = features.to(d, ScalarType.Float, false, true, new MemoryFormatOptional());
    }
  }

  int images() {
    return (int) rows.size(0);
  }

  /** The rows of these images, [ids.length, d] (a new tensor). */
  Tensor rows(int[] ids) {
    try (Tensor index = indexTensor(ids)) {
      return rows.index_select(0, index);
    }
  }

  /** Rows ids[i] := unit[i], detached; an image listed twice keeps its last row. */
  void write(int[] ids, Tensor unit) {
    try (NoGradGuard noGrad = new NoGradGuard();
        Tensor detached = unit.detach();
        Tensor values = detached.to(rows.device(), ScalarType.Float, false, false, new MemoryFormatOptional())) {
      for (int i = 0; i < ids.length; i++) {
        try (Tensor target = rows.select(0, ids[i]);
            Tensor source = values.select(0, i)) {
          target.copy_(source);
        }
      }
    }
  }

  private Tensor indexTensor(int[] ids) {
    long[] index = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= rows.size(0)) {
        throw new IllegalArgumentException("image " + ids[i] + " is outside the memory of " + rows.size(0));
      }
      index[i] = ids[i];
    }
    try (Tensor cpu = torch.tensor(index)) {
      return cpu.to(rows.device(), ScalarType.Long, false, false, new MemoryFormatOptional());
    }
  }

  @Override
  public void close() {
    rows.close();
  }
}
