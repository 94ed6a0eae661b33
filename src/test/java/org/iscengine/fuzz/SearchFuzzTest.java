package org.iscengine.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.iscengine.io.BinaryFormat;
import org.iscengine.search.ExactIndex;
import org.junit.jupiter.api.Timeout;

/**
 * The exact index's file ({@link ExactIndex#load}): as found on disk (the framed format or the
 * bare version 1), and as a payload behind a valid frame, so that the payload parser is reached
 * past the checksum.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SearchFuzzTest {
  /** The exact index's frame, as ExactIndex writes it. */
  private static final BinaryFormat FRAME = new BinaryFormat("isc-exact-index", 2);

  private static final InputFiles INPUTS = new InputFiles("search", 256 * 1024);

  @FuzzTest
  void exactIndexFile(byte[] data) throws IOException {
    INPUTS.write("index.bin", data).ifPresent(SearchFuzzTest::load);
  }

  @FuzzTest
  void exactIndexPayload(byte[] payload) {
    if (!INPUTS.take(payload)) {
      return;
    }
    Path file = INPUTS.resolve("index.bin");
    FRAME.write(file, out -> out.write(payload));
    load(file);
  }

  private static void load(Path file) {
    Contract.refusesOrReads(() -> {
      try (ExactIndex index = ExactIndex.load(file)) {
        assertTrue(index.dimension() >= 1, "an index has a dimension");
        assertTrue(index.size() >= 0, "an index has a size");
      }
    });
  }
}
