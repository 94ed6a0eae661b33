package org.iscengine.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Where one fuzz class writes its inputs as files, and the longest input its targets take. */
final class InputFiles {
  private final Path dir;
  private final int maxLength;

  /** A scratch folder named after the class's readers (see {@link Contract#scratch}). */
  InputFiles(String name, int maxLength) {
    this.dir = Contract.scratch(name);
    this.maxLength = maxLength;
  }

  /** Whether the targets take the input: a longer one only slows the fuzzer down. */
  boolean take(byte[] data) {
    return data.length <= maxLength;
  }

  Path dir() {
    return dir;
  }

  Path resolve(String name) {
    return dir.resolve(name);
  }

  /** The input written as the named file; empty, and nothing written, when the targets do not take it. */
  Optional<Path> write(String name, byte[] data) throws IOException {
    if (!take(data)) {
      return Optional.empty();
    }
    Path file = dir.resolve(name);
    Files.write(file, data);
    return Optional.of(file);
  }
}
