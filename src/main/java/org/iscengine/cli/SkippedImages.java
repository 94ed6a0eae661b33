package org.iscengine.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.iscengine.extract.Extractor;
import org.iscengine.io.AtomicFile;

/**
 * The images a batch command could not read: listed in {@code OUT.failures.txt} beside its output
 * (which is complete for every other image) and, the first of them, on the error stream.
 */
final class SkippedImages {
  private static final int SHOWN = 20;

  private SkippedImages() {}

  /** Writes the list beside {@code out}, or removes an earlier run's list when none failed; returns its path. */
  static Path list(Path out, List<Extractor.Failure> failures) throws IOException {
    Path file = out.resolveSibling(out.getFileName() + ".failures.txt");
    if (failures.isEmpty()) {
      Files.deleteIfExists(file);  // an earlier run's list would describe other images
      return file;
    }
    StringBuilder text = new StringBuilder();
    failures.forEach(f -> text.append(f.file()).append('\t').append(f.reason()).append('\n'));
    AtomicFile.write(file, tmp -> Files.writeString(tmp, text));
    return file;
  }

  /** Says how many were skipped and shows the first few; nothing when none failed. */
  static void report(PrintWriter err, List<Extractor.Failure> failures, Path list) {
    if (failures.isEmpty()) {
      return;
    }
    err.printf("%d images could not be read and were skipped (listed in %s):%n", failures.size(), list);
    failures.stream().limit(SHOWN).forEach(f -> err.println("  " + f.file() + ": " + f.reason()));
    err.flush();
  }
}
