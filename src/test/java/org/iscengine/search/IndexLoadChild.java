package org.iscengine.search;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.iscengine.errors.IscException;
import org.iscengine.kernels.Metric;

/**
 * Loads each file of a folder with {@link VectorIndex#load}, in a JVM of its own so that a crash
 * ends this process, not the tests', printing one line per file: its name, the outcome (LOADED or
 * the refusal's kind), the milliseconds and how far the load raised the process's peak memory
 * (MB), then the message.
 */
final class IndexLoadChild {
  static final String PREFIX = "load\t";

  private IndexLoadChild() {}

  public static void main(String[] args) throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(Path.of(args[0]))) {
      s.sorted().forEach(files::add);
    }
    // Loads LibTorch and FAISS first, so that the peak memory of each load is its own.
    try (ExactIndex exact = new ExactIndex(4, Metric.INNER_PRODUCT);
        FaissIndex faiss = FaissIndex.create(4, "IDMap2,Flat", Metric.INNER_PRODUCT)) {
      exact.size();
      faiss.size();
    }
    for (Path file : files) {
      long before = peakMegabytes();
      long start = System.nanoTime();
      String result;
      try (VectorIndex index = VectorIndex.load(file)) {
        result = "LOADED\t" + index.size() + " vectors";
      } catch (IscException e) {
        result = e.kind() + "\t" + e.getMessage();
      } catch (RuntimeException e) {
        result = e.getClass().getName() + "\t" + e.getMessage();
      }
      long millis = (System.nanoTime() - start) / 1_000_000;
      String[] outcome = result.split("\t", 2);
      System.out.println(PREFIX + file.getFileName() + "\t" + outcome[0] + "\t" + millis + "\t"
          + (peakMegabytes() - before) + "\t" + outcome[1].replace('\n', ' '));
      System.out.flush();
    }
  }

  private static long peakMegabytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
      }
    }
    throw new IllegalStateException("no VmHWM in /proc/self/status");
  }

  /** The outcome of one file. */
  record Result(String name, String outcome, long millis, long peakGrowthMegabytes, String message) {}

  /** Runs the child on a folder; fails when it does not end normally. */
  static List<Result> run(Path folder) throws Exception {
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-cp", System.getProperty("java.class.path"), IndexLoadChild.class.getName(), folder.toString())
        .directory(folder.toFile()).redirectErrorStream(true).start();
    String text = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!child.waitFor(120, java.util.concurrent.TimeUnit.SECONDS) || child.exitValue() != 0) {
      throw new AssertionError("the child JVM did not end normally (a crash?):\n"
          + (text.length() > 4000 ? text.substring(text.length() - 4000) : text));
    }
    List<Result> results = new ArrayList<>();
    for (String line : text.lines().filter(l -> l.startsWith(PREFIX)).toList()) {
      String[] p = line.substring(PREFIX.length()).split("\t", 5);
      results.add(new Result(p[0], p[1], Long.parseLong(p[2]), Long.parseLong(p[3]), p[4]));
    }
    return results;
  }
}
