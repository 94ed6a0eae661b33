package org.iscengine.runtime;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.errors.IscException;
import org.iscengine.io.AtomicFile;
import org.iscengine.io.IscCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure LibTorch's CPU convolutions are right on this machine before any of them runs.
 *
 * <p>oneDNN, which computes LibTorch's float32 convolutions on the CPU, picks its kernels and
 * blockings by instruction set and cache sizes. Where a virtual machine hides its caches, the
 * oneDNN bundled with LibTorch 2.10 (v3.7.1) takes every cache to be one byte: its 1×1 kernels
 * then divide by zero (SIGFPE: the JVM dies) and its weight reorders compute channels-last
 * convolutions 8–12 % wrong. Such faults cannot be caught in the process they happen in, so the
 * {@link ConvolutionSuite} runs in child JVMs ({@link ConvolutionTrials}): first as installed,
 * then, if it crashes, hangs or disagrees with float64, under lower oneDNN instruction-set limits
 * ({@code ONEDNN_MAX_CPU_ISA}), and last with oneDNN disabled (LibTorch's own, much slower,
 * convolutions). The first configuration that passes is applied to this process; the verdict is
 * cached per machine, library versions and oneDNN settings, so the suite runs once.
 *
 * <p>{@link #ensure} runs before the first CPU convolution of the process ({@code Conv2d},
 * TorchScript models); whatever produces descriptors calls {@link #require}, which refuses when
 * no configuration passed. Turn it off with {@code -Disc.convolutionCheck=off} or
 * {@code ISC_CONVOLUTION_CHECK=off}.
 */
public final class ConvolutionCheck {
  private static final Logger log = LoggerFactory.getLogger(ConvolutionCheck.class);
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** The verdict this process runs under; null until the first {@link #ensure}. */
  private static volatile Verdict current;

  public enum Status {
    /** The convolutions are right as installed. */
    PASSED,
    /** They are wrong or crash as installed; a configuration that passed has been applied. */
    PROTECTED,
    /** No configuration passed: descriptors from this machine would be wrong. */
    FAILED,
    /** The check was turned off or could not run; nothing is known. */
    UNCHECKED
  }

  /**
   * How LibTorch may convolve: oneDNN limited to an instruction set ({@code maxIsa}, oneDNN's
   * name; null for no limit beyond the installed environment), or oneDNN disabled.
   */
  public record Configuration(String maxIsa, boolean onednn) {
    public static final Configuration AS_INSTALLED = new Configuration(null, true);
    public static final Configuration WITHOUT_ONEDNN = new Configuration(null, false);

    public static Configuration limitedTo(String isa) {
      return new Configuration(isa, true);
    }

    /** A short name, also used to aim injected faults at one trial. */
    public String id() {
      return !onednn ? "no-onednn" : maxIsa == null ? "installed" : maxIsa;
    }

    @Override
    public String toString() {
      if (!onednn) {
        return "oneDNN disabled (LibTorch's own convolutions)";
      }
      if (maxIsa == null) {
        String limit = installedIsaLimit();
        return "as installed" + (limit == null ? "" : " (ONEDNN_MAX_CPU_ISA=" + limit + ")");
      }
      return "ONEDNN_MAX_CPU_ISA=" + maxIsa;
    }
  }

  /** One case that went wrong in a trial: its index, the convolution, how and what happened. */
  public record Failure(int index, String convolution, Kind kind, String problem) {
    public enum Kind { WRONG, CRASHED, HUNG }

    @Override
    public String toString() {
      return "case " + index + " (" + convolution + "): " + problem;
    }
  }

  /** The suite run under one configuration. {@code casesRun} counts the cases that finished. */
  public record Trial(Configuration configuration, int casesRun, List<Failure> failures, double seconds) {
    public boolean passed() {
      return failures.isEmpty();
    }
  }

  /**
   * What the check found: the status, the configuration this process convolves with, why, and
   * the trials behind it. {@code key} identifies the machine and settings it holds for.
   */
  public record Verdict(int suiteVersion, String key, Status status, Configuration configuration, String reason,
      String machine, String checkedAt, List<Trial> trials, String file) {
    Verdict withFile(String value) {
      return new Verdict(suiteVersion, key, status, configuration, reason, machine, checkedAt, trials, value);
    }

    Verdict withStatus(Status value, Configuration configurationValue, String reasonValue) {
      return new Verdict(suiteVersion, key, value, configurationValue, reasonValue, machine, checkedAt, trials, file);
    }
  }

  /** Thrown where descriptors would come from convolutions that failed the check. */
  public static final class UnsafeConvolutionsException extends IscException {
    private static final long serialVersionUID = 1L;

    UnsafeConvolutionsException(String message) {
      super(Kind.UNSUPPORTED, message);
    }
  }

  private ConvolutionCheck() {}

  /** Before a convolution on this input: on the CPU, the process's check must have passed first. */
  public static void before(Tensor input) {
    if (!input.is_cuda()) {
      ensure();
    }
  }

  /** Runs the check once per process (or reads its cached verdict) and applies its configuration. */
  public static Verdict ensure() {
    Verdict v = current;
    if (v != null) {
      return v;
    }
    synchronized (ConvolutionCheck.class) {
      if (current == null) {
        current = establish();
      }
      return current;
    }
  }

  /**
   * {@link #ensure}, then refuses when no configuration passed.
   *
   * @throws UnsafeConvolutionsException naming the failures and the cached verdict to look at
   */
  public static Verdict require() {
    Verdict v = ensure();
    if (v.status() == Status.FAILED) {
      throw new UnsafeConvolutionsException("LibTorch computes convolutions wrongly on this machine ("
          + v.machine() + ") in every configuration tried: " + v.reason() + (v.file() == null ? ""
              : "; details in " + v.file()) + ". No descriptors are produced from wrong convolutions; see"
          + " `isc info`.");
    }
    return v;
  }

  /** The verdict, if the check has run in this process. */
  public static Verdict current() {
    return current;
  }

  private static boolean turnedOff() {
    String value = System.getProperty("isc.convolutionCheck", System.getenv("ISC_CONVOLUTION_CHECK"));
    return value != null && value.equalsIgnoreCase("off");
  }

  private static Verdict establish() {
    backends(true);
    String machine = Processor.describe();
    if (turnedOff()) {
      log.warn("The convolution check is turned off: LibTorch's convolutions on this machine are not verified");
      return unchecked(machine, "turned off (isc.convolutionCheck=off or ISC_CONVOLUTION_CHECK=off)");
    }
    Settings settings = Settings.fromSystem();
    Verdict verdict;
    try {
      verdict = determine(settings);
    } catch (RuntimeException e) {
      log.warn("Cannot check LibTorch's convolutions on this machine; running unverified: {}", e.getMessage());
      return unchecked(machine, "the check could not run: " + e.getMessage());
    }
    return apply(verdict);
  }

  private static Verdict unchecked(String machine, String reason) {
    return new Verdict(ConvolutionSuite.VERSION, null, Status.UNCHECKED, Configuration.AS_INSTALLED, reason, machine,
        Instant.now().toString(), List.of(), null);
  }

  /** How {@link #determine} runs: where it caches, which faults it injects into the trials, its limits. */
  record Settings(Path folder, String faults, List<Integer> cases, Duration caseTimeout, int threads) {
    static Settings fromSystem() {
      List<Integer> all = new ArrayList<>();
      for (int i = 0; i < ConvolutionSuite.CASES.size(); i++) {
        all.add(i);
      }
      return new Settings(IscCache.root().resolve("checks"), System.getProperty("isc.convolutionCheck.faults", ""),
          all, Duration.ofSeconds(Long.getLong("isc.convolutionCheck.caseTimeoutSeconds", 120)),
          torch.get_num_threads());
    }
  }

  /**
   * The cached verdict for this machine and these settings, or a fresh one from the trials (then
   * cached). Applies nothing.
   */
  static Verdict determine(Settings settings) {
    String machine = Processor.describe();
    String key = key(settings);
    Path file = settings.folder().resolve("convolutions-" + key.substring(0, 16) + ".json");
    Verdict cached = read(file, key);
    if (cached != null) {
      return cached.withFile(file.toString());
    }
    log.info("Checking LibTorch's convolutions on this machine ({} cases against float64, once per machine and"
        + " library versions; cached in {})", settings.cases().size(), file);
    ConvolutionTrials trials = new ConvolutionTrials(settings);
    List<Trial> done = new ArrayList<>();
    Trial installed = trials.run(Configuration.AS_INSTALLED, true);
    done.add(installed);
    Verdict verdict;
    if (installed.passed()) {
      verdict = new Verdict(ConvolutionSuite.VERSION, key, Status.PASSED, Configuration.AS_INSTALLED,
          "all " + installed.casesRun() + " cases within " + ConvolutionSuite.TOLERANCE + " of float64", machine,
          Instant.now().toString(), done, null);
    } else {
      Configuration chosen = null;
      for (Configuration fallback : fallbacks()) {
        Trial trial = trials.run(fallback, false);
        done.add(trial);
        if (trial.passed()) {
          chosen = fallback;
          break;
        }
      }
      String problem = summary(installed);
      verdict = chosen != null
          ? new Verdict(ConvolutionSuite.VERSION, key, Status.PROTECTED, chosen, "as installed, " + problem
              + "; " + chosen + " passed all " + settings.cases().size() + " cases", machine,
              Instant.now().toString(), done, null)
          : new Verdict(ConvolutionSuite.VERSION, key, Status.FAILED, Configuration.AS_INSTALLED, "as installed, "
              + problem + "; no lower instruction-set limit and no oneDNN-free configuration passed either", machine,
              Instant.now().toString(), done, null);
    }
    Verdict written = verdict.withFile(file.toString());
    AtomicFile.write(file, tmp -> JSON.writeValue(tmp.toFile(), written));
    for (Trial t : done) {
      log.info("  {}: {} cases finished, {} failed, {} s{}", t.configuration(), t.casesRun(), t.failures().size(),
          String.format(Locale.ROOT, "%.1f", t.seconds()), t.passed() ? "" : "; first: " + t.failures().get(0));
    }
    if (written.status() == Status.PROTECTED) {
      log.warn("LibTorch's convolutions are wrong on this machine as installed: {}", written.reason());
    }
    return written;
  }

  private static String summary(Trial trial) {
    List<Failure> failures = trial.failures();
    Failure first = failures.get(0);
    return String.format(Locale.ROOT, "%d of %d cases failed, first %s (%s)", failures.size(),
        trial.casesRun() + (int) failures.stream().filter(f -> f.kind() != Failure.Kind.WRONG).count(),
        first.convolution(), first.problem());
  }

  private static Verdict read(Path file, String key) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      Verdict v = JSON.readValue(file.toFile(), Verdict.class);
      return key.equals(v.key()) && v.suiteVersion() == ConvolutionSuite.VERSION ? v : null;
    } catch (IOException e) {
      log.warn("Ignoring the unreadable convolution check {} ({}); checking again", file, e.getMessage());
      return null;
    }
  }

  /**
   * The configurations tried after the installed one fails, fastest first: oneDNN limited to
   * each instruction set below the installed limit that the processor has, then without oneDNN.
   */
  static List<Configuration> fallbacks() {
    List<Configuration> list = new ArrayList<>();
    int installedRank = Processor.isaRank(installedIsaLimit());
    for (String isa : List.of("AVX512_CORE", "AVX2", "AVX", "SSE41")) {
      if (Processor.isaRank(isa) < installedRank && Processor.supports(isa)) {
        list.add(Configuration.limitedTo(isa));
      }
    }
    list.add(Configuration.WITHOUT_ONEDNN);
    return list;
  }

  /** The instruction-set limit set in this process's environment before it started, if any. */
  static String installedIsaLimit() {
    String value = System.getenv("ONEDNN_MAX_CPU_ISA");
    if (value == null || value.isBlank()) {
      value = System.getenv("DNNL_MAX_CPU_ISA");
    }
    return value == null || value.isBlank() ? null : value.trim().toUpperCase(Locale.ROOT);
  }

  /**
   * Everything the verdict depends on: the suite, the processor (model, flags, caches as the
   * system reports them), the library versions, oneDNN's settings, LibTorch's threads and any
   * injected faults.
   */
  static String key(Settings settings) {
    Map<String, String> parts = new TreeMap<>();
    parts.put("suite", ConvolutionSuite.VERSION + " " + settings.cases());
    parts.put("cpu", Processor.describe());
    parts.put("flags", Processor.flags());
    parts.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    parts.put("versions", Versions.engine() + " " + Versions.pytorchPreset() + " " + Versions.javacpp());
    parts.put("threads", Integer.toString(settings.threads()));
    parts.put("faults", settings.faults());
    System.getenv().forEach((name, value) -> {
      if (name.startsWith("ONEDNN_") || name.startsWith("DNNL_")) {
        parts.put("env " + name, value);
      }
    });
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(parts.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Applies the verdict's configuration to this process, before its first convolution, and
   * confirms it by rerunning here the cases that were wrong (not those that crashed) as installed.
   * If they are still wrong (oneDNN had read its settings already), oneDNN is disabled instead.
   */
  private static Verdict apply(Verdict verdict) {
    Configuration c = verdict.configuration();
    if (verdict.status() == Status.PASSED) {
      log.info("LibTorch's convolutions are right on this machine ({})", verdict.file());
      return verdict;
    }
    if (verdict.status() == Status.FAILED) {
      log.error("LibTorch computes convolutions wrongly on this machine in every configuration tried: {} ({})",
          verdict.reason(), verdict.file());
      return verdict;
    }
    c = use(c);
    List<Integer> wrong = verdict.trials().get(0).failures().stream()
        .filter(f -> f.kind() == Failure.Kind.WRONG).map(Failure::index).toList();
    List<Integer> stillWrong = wrongHere(wrong);
    if (!stillWrong.isEmpty() && c.onednn()) {
      c = use(Configuration.WITHOUT_ONEDNN);
      stillWrong = wrongHere(wrong);
    }
    if (!stillWrong.isEmpty()) {
      Verdict failed = verdict.withStatus(Status.FAILED, c, verdict.reason() + "; but in this process case "
          + stillWrong.get(0) + " stays wrong");
      log.error("LibTorch computes convolutions wrongly in this process: {}", failed.reason());
      return failed;
    }
    log.info("This process convolves with {}, as the convolution check found ({})", c, verdict.file());
    return verdict.withStatus(Status.PROTECTED, c, verdict.reason());
  }

  private static List<Integer> wrongHere(List<Integer> cases) {
    return cases.stream().filter(i -> !ConvolutionSuite.run(i).passed()).toList();
  }

  /**
   * Makes this process convolve with the configuration (oneDNN reads its limit on first use) and
   * returns it; without libisc_cpu, which sets the limit, oneDNN is disabled instead.
   */
  private static Configuration use(Configuration c) {
    if (c.onednn() && c.maxIsa() != null && CpuKernels.available()) {
      CpuKernels.setEnvironment("ONEDNN_MAX_CPU_ISA", c.maxIsa());
      return c;
    }
    if (c.onednn() && c.maxIsa() == null) {
      return c;
    }
    backends(false);
    return Configuration.WITHOUT_ONEDNN;
  }

  /**
   * The backends LibTorch's CPU convolutions may use: oneDNN when {@code onednn}, else LibTorch's
   * own; NNPACK never (the suite does not check it, and on CPUs it does not support it warns at
   * every convolution).
   */
  static void backends(boolean onednn) {
    torch.globalContext().setUserEnabledNNPACK(false);
    torch.globalContext().setUserEnabledMkldnn(onednn);
  }
}
