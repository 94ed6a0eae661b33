package org.iscengine.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
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
  private static final InputFiles INPUTS = new InputFiles("descriptor", 64 * 1024);

  @FuzzTest
  void hdf5(byte[] data) throws IOException {
    INPUTS.write("descriptors.h5", data).ifPresent(DescriptorFuzzTest::read);
  }

  /** As a split file and as a submission. */
  private static void read(Path file) {
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
