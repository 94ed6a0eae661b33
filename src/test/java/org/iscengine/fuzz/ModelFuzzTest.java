package org.iscengine.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.model.PyTorchCheckpoint;
import org.junit.jupiter.api.Timeout;

/**
 * PyTorch checkpoints ({@link PyTorchCheckpoint}): a whole file as given, and a pickle inside an
 * archive made around it (byteorder, and float storages "0" and "1" of 16 and 64 values), so that
 * the unpickler and the tensor rebuilding are reached without the zip layer in the way.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ModelFuzzTest {
  private static final InputFiles INPUTS = new InputFiles("model", 256 * 1024);

  @FuzzTest
  void checkpointFile(byte[] data) throws IOException {
    INPUTS.write("checkpoint.pth", data).ifPresent(ModelFuzzTest::read);
  }

  @FuzzTest
  void checkpointPickle(byte[] pickle) throws IOException {
    if (!INPUTS.take(pickle)) {
      return;
    }
    Path file = INPUTS.resolve("checkpoint.pth");
    try (OutputStream out = Files.newOutputStream(file);
        ZipOutputStream zip = new ZipOutputStream(out)) {
      zip.setLevel(0);
      entry(zip, "archive/data.pkl", pickle);
      entry(zip, "archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
      entry(zip, "archive/data/0", floats(16));
      entry(zip, "archive/data/1", floats(64));
      entry(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
    }
    read(file);
  }

  private static void read(Path file) {
    Contract.refusesOrReads(() -> {
      Map<String, Tensor> state = PyTorchCheckpoint.stateDict(file);
      try {
        assertFalse(state.isEmpty(), "a state dict holds tensors");
      } finally {
        state.values().forEach(Tensor::close);
      }
    });
  }

  private static void entry(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(bytes);
    zip.closeEntry();
  }

  private static byte[] floats(int n) {
    ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      b.putFloat(i * 0.5f - 3);
    }
    return b.array();
  }
}
