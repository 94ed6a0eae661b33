package org.iscengine.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The processor as the operating system reports it (Linux's /proc/cpuinfo and the cache entries
 * under /sys), and oneDNN's instruction-set names ordered as its {@code ONEDNN_MAX_CPU_ISA} limit
 * orders them.
 */
public final class Processor {
  /** oneDNN's x64 instruction sets, lowest first. */
  private static final List<String> ONEDNN_ISAS = List.of("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2",
      "AVX512_CORE", "AVX512_CORE_VNNI", "AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX512_CORE_AMX",
      "AVX512_CORE_AMX_FP16", "AVX10_1_512", "AVX10_1_512_AMX", "AVX10_1_512_AMX_FP16", "AVX10_2_512",
      "AVX10_2_512_AMX_2");

  private static final String MODEL = field("model name");
  private static final String FLAGS = field("flags");
  private static final String CACHES = caches();

  private Processor() {}

  /** Model and caches, e.g. "AMD EPYC 9R45, caches: none reported". */
  public static String describe() {
    return (MODEL.isEmpty() ? System.getProperty("os.arch") : MODEL) + ", caches: " + CACHES;
  }

  /** The feature flags, sorted, space-separated (empty where /proc/cpuinfo is missing). */
  public static String flags() {
    return FLAGS;
  }

  /** The place of a oneDNN instruction-set name in oneDNN's order; unknown names and no limit rank highest. */
  public static int isaRank(String isa) {
    int rank = isa == null ? -1 : ONEDNN_ISAS.indexOf(isa.toUpperCase(Locale.ROOT));
    return rank < 0 ? ONEDNN_ISAS.size() : rank;
  }

  /** Whether the processor has what oneDNN needs for that instruction set (those the check may fall back to). */
  public static boolean supports(String isa) {
    Set<String> have = new TreeSet<>(Arrays.asList(FLAGS.split(" ")));
    List<String> needs = switch (isa) {
      case "SSE41" -> List.of("sse4_1");
      case "AVX" -> List.of("avx");
      case "AVX2" -> List.of("avx2");
      case "AVX512_CORE" -> List.of("avx512f", "avx512bw", "avx512vl", "avx512dq");
      default -> List.of("unknown:" + isa);
    };
    return have.containsAll(needs);
  }

  /**
   * The physical cores this process may use, as the operating system counts them (distinct
   * package and core ids under /sys), at most {@link Runtime#availableProcessors}; that count
   * where the topology cannot be read.
   */
  public static int physicalCores() {
    int available = Runtime.getRuntime().availableProcessors();
    Set<String> cores = new TreeSet<>();
    try (Stream<Path> cpus = Files.list(Path.of("/sys/devices/system/cpu"))) {
      for (Path cpu : cpus.filter(p -> p.getFileName().toString().matches("cpu\\d+")).toList()) {
        Path topology = cpu.resolve("topology");
        if (Files.isRegularFile(topology.resolve("core_id"))) {
          cores.add(read(topology.resolve("physical_package_id")) + ":" + read(topology.resolve("core_id")));
        }
      }
    } catch (IOException | RuntimeException e) {
      return available;
    }
    return cores.isEmpty() ? available : Math.max(1, Math.min(available, cores.size()));
  }

  private static String field(String name) {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      String value = lines.filter(l -> l.startsWith(name) && l.indexOf(':') > 0).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("");
      return name.equals("flags") ? String.join(" ", new TreeSet<>(Arrays.asList(value.split("\\s+")))) : value;
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static String caches() {
    Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache");
    List<String> entries = new ArrayList<>();
    try (Stream<Path> indexes = Files.list(dir)) {
      for (Path index : indexes.filter(p -> p.getFileName().toString().startsWith("index")).sorted().toList()) {
        String type = read(index.resolve("type"));
        entries.add("L" + read(index.resolve("level")) + (type.equals("Data") ? "d" : type.equals("Instruction")
            ? "i" : "") + " " + read(index.resolve("size")));
      }
    } catch (IOException | RuntimeException e) {
      return "none reported";
    }
    return entries.isEmpty() ? "none reported" : String.join(", ", entries);
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file).trim();
  }
}
