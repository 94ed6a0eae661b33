package org.iscengine.runtime;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.errors.IscException;
import org.iscengine.io.FileTrees;
import org.iscengine.runtime.ConvolutionCheck.Configuration;
import org.iscengine.runtime.ConvolutionCheck.Failure;
import org.iscengine.runtime.ConvolutionCheck.Settings;
import org.iscengine.runtime.ConvolutionCheck.Trial;

/**
 * Runs the {@link ConvolutionSuite} under one configuration in child JVMs, where a crash or a
 * hang of a native library costs a child, not the caller. A child announces each case before it
 * runs it, so a crash names its case; when a trial must list every failing case, the next child
 * goes on after the one that crashed. The JVM's crash report gives the signal and native frame.
 */
final class ConvolutionTrials {
  private static final String PREFIX = "isc-convolution ";
  private static final int MAX_CRASHES = 12;
  private static final Pattern SIGNAL = Pattern.compile("^#\\s+(SIG[A-Z]+|EXCEPTION_[A-Z_]+)");

  private final Settings settings;

  ConvolutionTrials(Settings settings) {
    this.settings = settings;
  }

  /**
   * The suite under the configuration. With {@code listAll}, goes on past failures and crashes
   * (to report them all); otherwise stops at the first.
   *
   * @throws IllegalStateException when a child cannot even start (no verdict can be drawn)
   */
  Trial run(Configuration configuration, boolean listAll) {
    long start = System.nanoTime();
    List<Integer> cases = settings.cases();
    List<Failure> failures = new ArrayList<>();
    int finished = 0;
    int from = 0;
    int crashes = 0;
    while (from < cases.size()) {
      Outcome outcome = child(configuration, cases.subList(from, cases.size()));
      boolean stop = false;
      for (ConvolutionSuite.CaseResult r : outcome.results()) {
        finished++;
        if (!r.passed()) {
          failures.add(new Failure(r.index(), r.convolution().toString(), Failure.Kind.WRONG,
              String.format(Locale.ROOT, "relative error %.2g on NCHW, %.2g on channels-last", r.nchwError(),
                  r.channelsLastError())));
          if (!listAll) {
            stop = true;
            break;
          }
        }
      }
      if (stop || outcome.ended() == null) {
        break;
      }
      failures.add(outcome.ended());
      crashes++;
      if (!listAll || crashes >= MAX_CRASHES) {
        break;
      }
      from = cases.indexOf(outcome.ended().index()) + 1;
    }
    return new Trial(configuration, finished, List.copyOf(failures), (System.nanoTime() - start) / 1e9);
  }

  /** What one child did: the cases it finished, and the crash or hang that ended it early (else null). */
  private record Outcome(List<ConvolutionSuite.CaseResult> results, Failure ended) {}

  private Outcome child(Configuration configuration, List<Integer> cases) {
    Path work;
    try {
      work = Files.createTempDirectory("isc-convolution-check");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a folder for the convolution check", e);
    }
    Path stderr = work.resolve("stderr.txt");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:ErrorFile=" + work.resolve("hs_err_%p.log"), "-XX:-CreateCoredumpOnCrash", "-Xmx2g",
        "-cp", classpath(), ConvolutionTrials.class.getName(),
        Integer.toString(settings.threads()), Boolean.toString(configuration.onednn()),
        fault(configuration.id()), join(cases)));
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(stderr.toFile());
    builder.environment().put("OPENCV_LOG_LEVEL", "SILENT");
    if (configuration.maxIsa() != null) {
      builder.environment().put("ONEDNN_MAX_CPU_ISA", configuration.maxIsa());
    }
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      delete(work);
      throw new IscException(IscException.Kind.UNAVAILABLE,
          "cannot start " + command.get(0) + ": " + e.getMessage(), e);
    }
    try {
      process.getOutputStream().close();
      return watch(process, configuration, work, stderr);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      process.destroyForcibly();
      delete(work);
    }
  }

  private Outcome watch(Process process, Configuration configuration, Path work, Path stderr) {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          if (line.startsWith(PREFIX)) {
            lines.add(line.substring(PREFIX.length()));
          }
        }
      } catch (IOException e) {
        // the child is gone; the end marker below says so
      } finally {
        lines.add("eof");
      }
    }, "convolution-check-reader");
    reader.setDaemon(true);
    reader.start();
    List<ConvolutionSuite.CaseResult> results = new ArrayList<>();
    boolean ready = false;
    int running = -1;
    long timeout = settings.caseTimeout().toMillis();
    while (true) {
      String line;
      try {
        line = lines.poll(timeout, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while checking convolutions", e);
      }
      if (line == null) {
        process.destroyForcibly();
        if (!ready) {
          throw new IllegalStateException("the check's child process did not start within "
              + settings.caseTimeout().toSeconds() + " s: " + tail(stderr));
        }
        return new Outcome(results, failure(running, Failure.Kind.HUNG,
            "no answer within " + settings.caseTimeout().toSeconds() + " s"));
      }
      String[] f = line.split(" ");
      switch (f[0]) {
        case "ready" -> ready = true;
        case "begin" -> running = Integer.parseInt(f[1]);
        case "result" -> {
          int index = Integer.parseInt(f[1]);
          results.add(new ConvolutionSuite.CaseResult(index, ConvolutionSuite.CASES.get(index),
              Double.parseDouble(f[2]), Double.parseDouble(f[3])));
          running = -1;
        }
        case "done" -> {
          return new Outcome(results, null);
        }
        default -> { // "eof": the child ended without finishing
          int code = exitCode(process);
          if (!ready) {
            throw new IllegalStateException("the check's child process (" + configuration + ") exited with code "
                + code + " before its first case: " + tail(stderr));
          }
          return new Outcome(results, failure(running, Failure.Kind.CRASHED, crash(work, process.pid(), code)));
        }
      }
    }
  }

  private static Failure failure(int index, Failure.Kind kind, String problem) {
    return new Failure(index, index < 0 ? "between cases" : ConvolutionSuite.CASES.get(index).toString(), kind,
        problem);
  }

  private static int exitCode(Process process) {
    try {
      return process.waitFor(30, TimeUnit.SECONDS) ? process.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** The signal and native frame from the JVM's crash report, e.g. "SIGFPE in [libtorch_cpu.so+0x1] f()". */
  static String crash(Path folder, long pid, int code) {
    Path report = folder.resolve("hs_err_" + pid + ".log");
    String signal = null;
    String frame = null;
    if (Files.isRegularFile(report)) {
      try {
        List<String> lines = Files.readAllLines(report, StandardCharsets.ISO_8859_1);
        for (int i = 0; i < lines.size() && (signal == null || frame == null); i++) {
          Matcher m = SIGNAL.matcher(lines.get(i));
          if (signal == null && m.find()) {
            signal = m.group(1);
          }
          if (lines.get(i).startsWith("# Problematic frame:") && i + 1 < lines.size()) {
            frame = lines.get(i + 1).replaceFirst("^#\\s*", "").replaceAll("\\s+", " ").trim();
          }
        }
      } catch (IOException e) {
        // fall back to the exit code
      }
    }
    if (signal == null) {
      return "the process died (exit code " + code + ")";
    }
    return "the process died: " + signal + (frame == null ? "" : " in " + frame);
  }

  /** The fault the settings inject into this configuration's children ("none", "wrong", "crash@3", "hang"...). */
  private String fault(String id) {
    String chosen = "none";
    for (String entry : settings.faults().split(",")) {
      String[] kv = entry.trim().split("=", 2);
      if (kv.length == 2 && (kv[0].equals(id) || kv[0].equals("*") && chosen.equals("none"))) {
        chosen = kv[1].trim();
      }
    }
    return chosen;
  }

  /** This process's class path, and the places its own classes and LibTorch's came from. */
  private static String classpath() {
    Set<String> entries = new LinkedHashSet<>(List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
    for (Class<?> c : List.of(ConvolutionTrials.class, torch.class, Loader.class)) {
      try {
        entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
      } catch (Exception e) {
        // no code source (a custom class loader): the class path must do
      }
    }
    entries.remove("");
    return String.join(File.pathSeparator, entries);
  }

  private static String join(List<Integer> cases) {
    StringBuilder b = new StringBuilder();
    for (int i : cases) {
      b.append(b.length() == 0 ? "" : ",").append(i);
    }
    return b.toString();
  }

  private static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no output)";
    }
  }

  private static void delete(Path folder) {
    try {
      FileTrees.delete(folder);
    } catch (IOException e) {
      // a temporary folder left behind is harmless
    }
  }

  /**
   * The child: {@code threads onednn fault cases}, where cases is a comma-separated list of
   * suite indexes. Prints "ready", then "begin i" and "result i nchw channels-last" per case, and
   * "done".
   */
  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    torch.set_num_threads(Integer.parseInt(args[0]));
    ConvolutionCheck.backends(Boolean.parseBoolean(args[1]));
    String fault = args[2];
    int faultAt = fault.contains("@") ? Integer.parseInt(fault.substring(fault.indexOf('@') + 1)) : -1;
    String faultKind = fault.contains("@") ? fault.substring(0, fault.indexOf('@')) : fault;
    out.println(PREFIX + "ready");
    for (String s : args[3].split(",")) {
      int index = Integer.parseInt(s);
      out.println(PREFIX + "begin " + index);
      boolean faulty = !faultKind.equals("none") && (faultAt < 0 || faultAt == index);
      if (faulty && faultKind.equals("crash")) {
        crashNatively();
      }
      if (faulty && faultKind.equals("hang")) {
        Thread.sleep(Long.MAX_VALUE);
      }
      if (faulty && faultKind.equals("wrong")) {
        out.println(PREFIX + "result " + index + " 0.1 0.1");
        continue;
      }
      ConvolutionSuite.CaseResult r = ConvolutionSuite.run(index);
      out.println(PREFIX + "result " + index + " " + r.nchwError() + " " + r.channelsLastError());
    }
    out.println(PREFIX + "done");
    System.exit(0);
  }

  /** A real native crash (a write to address 0), as a faulty kernel would die. */
  private static void crashNatively() throws ReflectiveOperationException {
    Field field = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
    field.setAccessible(true);
    Object unsafe = field.get(null);
    unsafe.getClass().getMethod("putLong", long.class, long.class).invoke(unsafe, 0L, 42L);
  }
}
