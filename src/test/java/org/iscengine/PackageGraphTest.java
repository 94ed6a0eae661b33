package org.iscengine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages of the engine depend on each other without cycles: data flows forward, and a
 * lower layer (kernels, runtime, io) never reaches back up. Read from the sources' imports and
 * fully qualified names.
 */
class PackageGraphTest {
  private static final Path SOURCES = Path.of("src", "main", "java");
  private static final Pattern PACKAGE = Pattern.compile("^package (org\\.iscengine[\\w.]*);", Pattern.MULTILINE);
  private static final Pattern REFERENCE = Pattern.compile("\\b(org\\.iscengine(?:\\.[a-z]\\w*)+)\\.[A-Z]");

  @Test
  void thePackageGraphHasNoCycle() throws IOException {
    Map<String, Set<String>> uses = new TreeMap<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String text = Files.readString(f);
        Matcher pkg = PACKAGE.matcher(text);
        if (!pkg.find()) {
          continue;
        }
        Set<String> targets = uses.computeIfAbsent(pkg.group(1), k -> new TreeSet<>());
        Matcher m = REFERENCE.matcher(text.substring(pkg.end()));
        while (m.find()) {
          if (!m.group(1).equals(pkg.group(1))) {
            targets.add(m.group(1));
          }
        }
      }
    }
    assertTrue(uses.size() > 15, uses.keySet().toString());
    List<String> cycles = new ArrayList<>();
    for (String start : uses.keySet()) {
      List<String> path = cycleFrom(start, start, uses, new ArrayList<>(List.of(start)), new TreeSet<>());
      if (path != null) {
        cycles.add(String.join(" -> ", path));
      }
    }
    assertEquals(List.of(), cycles);
  }

  /** A path from {@code at} back to {@code start}, or null. */
  private static List<String> cycleFrom(String start, String at, Map<String, Set<String>> uses, List<String> path,
      Set<String> seen) {
    for (String next : uses.getOrDefault(at, Set.of())) {
      if (next.equals(start)) {
        List<String> cycle = new ArrayList<>(path);
        cycle.add(start);
        return cycle;
      }
      if (seen.add(next)) {
        path.add(next);
        List<String> found = cycleFrom(start, next, uses, path, seen);
        if (found != null) {
          return found;
        }
        path.remove(path.size() - 1);
      }
    }
    return null;
  }
}
