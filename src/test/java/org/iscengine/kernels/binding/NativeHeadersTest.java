package org.iscengine.kernels.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
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
import org.bytedeco.javacpp.annotation.Name;
import org.iscengine.kernels.Gem;
import org.iscengine.kernels.Knn;
import org.iscengine.kernels.KnnPrecision;
import org.iscengine.kernels.Metric;
import org.iscengine.search.binding.IscFaiss;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Java bindings against the C headers they mirror ({@code native/include/isc/}), read as
 * text: every constant and every entry point on one side has its twin on the other, so neither
 * can change alone.
 */
class NativeHeadersTest {
  private static final Path HEADERS = Path.of("native", "include", "isc");
  private static final Pattern DEFINE = Pattern.compile("#define\\s+(ISC_\\w+)\\s+(-?[0-9.]+)f?\\b");
  private static final Pattern ENUM_ENTRY = Pattern.compile("\\b(ISC_\\w+)\\s*=\\s*(-?\\d+)");
  private static final Pattern FUNCTION = Pattern.compile("ISC_API\\s+[\\w\\s*]+?\\b(isc_\\w+)\\s*\\(");
  /** Header constants the Java side has no use for: C buffer sizes. */
  private static final Set<String> C_ONLY = Set.of("ISC_STATUS_MESSAGE_BYTES");

  private static final Map<String, Double> constants = new TreeMap<>();
  private static final Set<String> functions = new TreeSet<>();

  @BeforeAll
  static void readHeaders() throws IOException {
    try (Stream<Path> files = Files.list(HEADERS)) {
      for (Path h : files.filter(p -> p.toString().endsWith(".h")).toList()) {
        String text = Files.readString(h).replaceAll("(?s)/\\*.*?\\*/", " ");
        for (Pattern p : List.of(DEFINE, ENUM_ENTRY)) {
          Matcher m = p.matcher(text);
          while (m.find()) {
            constants.put(m.group(1), Double.parseDouble(m.group(2)));
          }
        }
        Matcher m = FUNCTION.matcher(text);
        while (m.find()) {
          functions.add(m.group(1));
        }
      }
    }
    assertTrue(constants.size() > 20 && functions.size() > 20, constants + " " + functions);
  }

  @Test
  void everyJavaConstantHasItsHeaderValueAndEveryHeaderConstantItsJavaTwin() throws IllegalAccessException {
    Map<String, Double> java = new TreeMap<>();
    // Only these two hold constants (reading one loads the class's library; libisc_cuda may be absent).
    for (Class<?> c : List.of(IscAbi.class, IscCpu.class)) {
      for (Field f : c.getDeclaredFields()) {
        int mod = f.getModifiers();
        if (Modifier.isPublic(mod) && Modifier.isStatic(mod) && Modifier.isFinal(mod) && f.getType() == int.class) {
          java.put("ISC_" + f.getName(), (double) f.getInt(null));
        }
      }
    }
    List<String> wrong = new ArrayList<>();
    java.forEach((name, value) -> {
      if (!value.equals(constants.get(name))) {
        wrong.add(name + ": Java " + value + ", header " + constants.get(name));
      }
    });
    constants.keySet().stream().filter(name -> !java.containsKey(name) && !C_ONLY.contains(name) && !isGemRange(name))
        .forEach(name -> wrong.add(name + ": in the headers, not in the bindings"));
    assertEquals(List.of(), wrong);
  }

  @Test
  void theKernelsLimitsAndCodesAreTheHeaders() {
    assertEquals(constants.get("ISC_GEM_MIN_P"), Gem.MIN_P);
    assertEquals(constants.get("ISC_GEM_MAX_P"), Gem.MAX_P);
    assertEquals(constants.get("ISC_KNN_MAX_K"), (double) Knn.MAX_K);
    for (Metric m : Metric.values()) {
      assertEquals(constants.get("ISC_METRIC_" + m.name()), (double) m.code(), m.name());
    }
    for (KnnPrecision p : KnnPrecision.values()) {
      assertTrue(constants.containsKey("ISC_KNN_" + p.name()), p.name());
    }
  }

  @Test
  void everyBoundEntryPointIsDeclaredAndEveryDeclaredOneBound() {
    Set<String> bound = new TreeSet<>();
    for (Class<?> c : List.of(IscCpu.class, IscCuda.class, IscFaiss.class)) {
      for (Method m : c.getDeclaredMethods()) {
        Name name = m.getAnnotation(Name.class);
        if (name != null && Modifier.isNative(m.getModifiers())) {
          bound.add(name.value()[0]);
        }
      }
    }
    Set<String> unbound = new TreeSet<>(functions);
    unbound.removeAll(bound);
    Set<String> undeclared = new TreeSet<>(bound);
    undeclared.removeAll(functions);
    assertEquals(Set.of(), undeclared, "bound in Java, declared in no header");
    assertEquals(Set.of(), unbound, "declared in a header, bound nowhere");
  }

  @Test
  void theSharedEntryPointsExistUnderBothPrefixes() {
    var entryPoints = KernelEntryPoints.class.getRecordComponents();
    assertTrue(entryPoints.length >= 6, "entry points: " + entryPoints.length);
    for (var entryPoint : entryPoints) {
      String c = snake(entryPoint.getName());
      assertTrue(functions.contains("isc_cpu_" + c), "isc_cpu_" + c);
      assertTrue(functions.contains("isc_cuda_" + c), "isc_cuda_" + c);
    }
  }

  private static boolean isGemRange(String name) {
    return name.equals("ISC_GEM_MIN_P") || name.equals("ISC_GEM_MAX_P");
  }

  private static String snake(String camel) {
    return camel.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
  }
}
