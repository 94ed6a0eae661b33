import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.kernels.HostTensors;

/**
 * Checks that descriptor files hold the same ids, in the same order, and the same vectors within
 * TOLERANCE as EXPECTED. Each OTHER is a descriptor file or a folder of shards (its part-*.h5, read
 * in name order, as isc spark extract writes them). Prints one JSON line per OTHER (ids, dimension,
 * files read, largest absolute difference); exits 1 at the first that differs, saying how.
 *   java -cp target/classes:$(cat target/classpath.txt) SameDescriptors.java TOLERANCE EXPECTED.h5 OTHER...
 */
public final class SameDescriptors {
  public static void main(String[] args) throws IOException {
    if (args.length < 3) {
      System.err.println("usage: SameDescriptors.java TOLERANCE EXPECTED.h5 OTHER...");
      System.exit(2);
    }
    double tolerance = Double.parseDouble(args[0]);
    try (Descriptors expected = DescriptorFiles.read(Path.of(args[1]))) {
      float[] e = HostTensors.toArray(expected.vectors());
      for (int a = 2; a < args.length; a++) {
        List<Path> files = files(Path.of(args[a]));
        try (Descriptors other = DescriptorFiles.read(files)) {
          String problem = null;
          double maxDiff = Double.NaN;  // null in the JSON line until the vectors are compared
          if (other.dim() != expected.dim()) {
            problem = other.dim() + " dimensions, expected " + expected.dim();
          } else if (!other.ids().equals(expected.ids())) {
            problem = firstIdDifference(expected.ids(), other.ids());
          } else {
            float[] o = HostTensors.toArray(other.vectors());
            maxDiff = 0;
            for (int i = 0; i < e.length; i++) {
              double d = Math.abs((double) e[i] - o[i]);
              if (!(d <= maxDiff)) {  // NaN counts as a difference
                maxDiff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
              }
            }
            if (!(maxDiff <= tolerance)) {
              problem = String.format(Locale.ROOT, "largest absolute difference %.3g is over %.3g", maxDiff, tolerance);
            }
          }
          System.out.printf(Locale.ROOT,
              "{\"expected\":\"%s\",\"other\":\"%s\",\"files\":%d,\"ids\":%d,\"dim\":%d,\"maxAbsDiff\":%s,"
                  + "\"tolerance\":%.3g,\"same\":%b}%n",
              args[1], args[a], files.size(), other.size(), other.dim(),
              Double.isFinite(maxDiff) ? String.format(Locale.ROOT, "%.3g", maxDiff) : "null", tolerance, problem == null);
          if (problem != null) {
            System.err.println(args[a] + " differs from " + args[1] + ": " + problem);
            System.exit(1);
          }
        }
      }
    }
  }

  /** A file, or a folder's part-*.h5 in name order. */
  private static List<Path> files(Path p) throws IOException {
    if (!Files.isDirectory(p)) {
      return List.of(p);
    }
    try (Stream<Path> s = Files.list(p)) {
      List<Path> shards = s.filter(f -> f.getFileName().toString().matches("part-\\d+\\.h5")).sorted().toList();
      if (shards.isEmpty()) {
        throw new IllegalArgumentException(p + ": no part-*.h5 shards");
      }
      return shards;
    }
  }

  private static String firstIdDifference(List<String> expected, List<String> other) {
    int n = Math.min(expected.size(), other.size());
    for (int i = 0; i < n; i++) {
      if (!expected.get(i).equals(other.get(i))) {
        return "row " + i + " is '" + other.get(i) + "', expected '" + expected.get(i) + "'";
      }
    }
    return other.size() + " ids, expected " + expected.size();
  }
}
