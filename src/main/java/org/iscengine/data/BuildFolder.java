package org.iscengine.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.iscengine.io.AtomicFile;

/**
 * The output folder of a dataset build: its manifest is written first, so an interrupted build
 * resumes only with the same settings, and every file is written whole (atomically) so that an
 * existing file is a finished one.
 */
final class BuildFolder {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private BuildFolder() {}

  /** Writes the manifest, or checks that the one already there is the same (same build). */
  static void claim(Path out, Object manifest) {
    try {
      Files.createDirectories(out);
      byte[] wanted = JSON.writeValueAsBytes(manifest);
      Path file = out.resolve("manifest.json");
      if (Files.isRegularFile(file)) {
        byte[] existing = Files.readAllBytes(file);
        if (!Arrays.equals(existing, wanted)) {
          throw new OtherBuildException(out + " holds a build with other settings or sources (its manifest.json"
              + " differs): use another folder, or delete this one");
        }
        removeTemporaries(out);
        return;
      }
      AtomicFile.write(file, tmp -> Files.write(tmp, wanted));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the manifest in " + out + ": " + e.getMessage(), e);
    }
  }

  /** Removes what an interrupted build left half written (AtomicFile's .NAME.*.tmp files). */
  private static void removeTemporaries(Path out) throws IOException {
    try (Stream<Path> walk = Files.walk(out)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        String name = p.getFileName().toString();
        if (name.startsWith(".") && name.endsWith(".tmp")) {
          Files.delete(p);
        }
      }
    }
  }

    /** Copies a file unless the target exists already (a finished one). */
  static void copy(Path from, Path to) {
    if (Files.exists(to)) {
      return;
    }
    AtomicFile.write(to, tmp -> Files.copy(from, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING));
  }
}
