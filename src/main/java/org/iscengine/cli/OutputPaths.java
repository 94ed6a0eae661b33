package org.iscengine.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.iscengine.errors.IscException;

/**
 * A command's input and output files, checked before it reads or writes anything: no output may
 * be one of the inputs or another output. Paths are compared as real paths, so a symbolic link or
 * a detour through "..", or a relative and an absolute spelling of one file, are seen through.
 */
final class OutputPaths {
  private record Named(String option, Path path, Path real) {}

  private final List<Named> inputs = new ArrayList<>();
  private final List<Named> outputs = new ArrayList<>();

  /** A default output beside a CSV input: its name without ".csv", then the suffix. */
  static Path besideCsv(Path csv, String suffix) {
    return csv.resolveSibling(csv.getFileName().toString().replaceFirst("\\.csv$", "") + suffix);
  }

  /** An input option's files; null (an option not given) is skipped. */
  OutputPaths input(String option, Collection<Path> paths) {
    if (paths != null) {
      paths.forEach(p -> input(option, p));
    }
    return this;
  }

  OutputPaths input(String option, Path path) {
    if (path != null) {
      inputs.add(new Named(option, path, real(path)));
    }
    return this;
  }

  OutputPaths output(String option, Path path) {
    if (path != null) {
      outputs.add(new Named(option, path, real(path)));
    }
    return this;
  }

  /** INVALID_INPUT naming both options when an output would overwrite an input or another output. */
  void check() {
    for (int i = 0; i < outputs.size(); i++) {
      Named out = outputs.get(i);
      for (Named in : inputs) {
        if (out.real().equals(in.real())) {
          throw new IscException(IscException.Kind.INVALID_INPUT, out.option() + " " + out.path() + " is the file "
              + in.option() + " " + in.path() + ": refusing to overwrite an input");
        }
      }
      for (Named other : outputs.subList(0, i)) {
        if (out.real().equals(other.real())) {
          throw new IscException(IscException.Kind.INVALID_INPUT, out.option() + " " + out.path() + " is the file "
              + other.option() + " " + other.path() + ": give each output its own file");
        }
      }
    }
  }

  /** The real path of a file, or of its nearest existing folder with the rest appended. */
  private static Path real(Path path) {
    Path absolute = path.toAbsolutePath().normalize();
    try {
      return Files.exists(absolute) ? path.toRealPath() : real(absolute.getParent()).resolve(absolute.getFileName());
    } catch (IOException e) {
      return absolute;
    }
  }
}
