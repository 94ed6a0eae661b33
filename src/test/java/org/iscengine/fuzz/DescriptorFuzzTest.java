package org.iscengine.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.junit.jupiter.api.Timeout;

/**
 * Descriptor files in HDF5 ({@link DescriptorFiles}, through the HDF5 C library): read as a
 * split file and as a submission.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DescriptorFuzzTest {
  static final int MAX_LENGTH = 64 * 1024;

  private static final Path DIR = Contract.scratch("descriptor");

  @FuzzTest
  void hdf5(byte[] data) throws IOException {
    if (data.length > MAX_LENGTH) {
      return;
    }
    Path file = DIR.resolve("descriptors.h5");
    Files.write(file, data);
    Contract.refusesOrReads(() -> {
      try (Descriptors d = DescriptorFiles.read(file)) {
        assertEquals(d.ids().size(), d.size(), "one id per vector");
      }
    });
    Contract.refusesOrReads(() -> {
      try (DescriptorFiles.Submission s = DescriptorFiles.readSubmission(file, false)) {
        assertEquals(s.queries().dim(), s.references().dim(), "queries and references alike");
      }
    });
  }
}
