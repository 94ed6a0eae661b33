package org.iscengine.reproduce;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.iscengine.eval.IscMetrics;
import org.iscengine.io.AtomicFile;

/**
 * The same reproduction trained with several seeds, summarised: each system's μAP and recall at
 * 90 % precision as mean, sample standard deviation and range over the seeds, then every seed's
 * figures (summary.md, summary.json). One seed is not a result: the trained figures move with the
 * initial weights, the shuffles and the augmentations.
 */
public final class SeedSummary {
  /** Mean, sample standard deviation (0 for one value), minimum and maximum. */
  public record Spread(double mean, double std, double min, double max, int n) {
    static Spread of(List<Double> values) {
      int n = values.size();
      double mean = values.stream().mapToDouble(d -> d).average().orElse(Double.NaN);
      double squares = values.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum();
      return new Spread(mean, n > 1 ? Math.sqrt(squares / (n - 1)) : 0, values.stream().mapToDouble(d -> d).min()
          .orElse(Double.NaN), values.stream().mapToDouble(d -> d).max().orElse(Double.NaN), n);
    }
  }

  /** One system over the seeds: μAP, and recall@P90 over the seeds that reach 90 % precision. */
  public record SystemSpread(String system, Spread microAveragePrecision, Spread recallAtP90) {}

  private SeedSummary() {}

  /** The spread of every system that all runs report, in the first run's order. */
  public static List<SystemSpread> spreads(Map<Long, Reproduction.Outcome> runs) {
    if (runs.isEmpty()) {
      throw new IllegalArgumentException("no runs to summarise");
    }
    List<SystemSpread> out = new ArrayList<>();
    for (String system : runs.values().iterator().next().results().keySet()) {
      List<Double> uap = new ArrayList<>();
      List<Double> recall = new ArrayList<>();
      for (Reproduction.Outcome o : runs.values()) {
        var result = o.results().get(system);
        if (result == null) {
          throw new IllegalArgumentException("system '" + system + "' is missing from a run");
        }
        uap.add(result.metrics().microAveragePrecision());
        if (result.metrics().recallAtP90() != null) {
          recall.add(result.metrics().recallAtP90());
        }
      }
      out.add(new SystemSpread(system, Spread.of(uap), Spread.of(recall)));
    }
    return out;
  }

  /** Writes summary.md and summary.json into work; returns summary.md. */
  public static Path write(Path work, String recipe, Map<Long, Reproduction.Outcome> runs) {
    List<SystemSpread> spreads = spreads(runs);
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "# Reproduction over %d seeds%n%nRecipe `%s`, seeds %s; each seed's"
        + " report is in `seed-N/report.md`.%n%n", runs.size(), recipe, runs.keySet()));
    md.append("| system | μAP mean ± std | μAP range | recall@P90 mean ± std (seeds reaching P90) |\n"
        + "|---|---:|---:|---:|\n");
    for (SystemSpread s : spreads) {
      Spread u = s.microAveragePrecision();
      Spread r = s.recallAtP90();
      md.append(String.format(Locale.ROOT, "| %s | %.4f ± %.4f | %.4f – %.4f | %s |%n", s.system(), u.mean(), u.std(),
          u.min(), u.max(), r.n() == 0 ? "none" : String.format(Locale.ROOT, "%.4f ± %.4f (%d)", r.mean(), r.std(),
              r.n())));
    }
    md.append("\n## μAP of each seed\n\n| system |");
    runs.keySet().forEach(seed -> md.append(" seed ").append(seed).append(" |"));
    md.append("\n|---|").append("---:|".repeat(runs.size())).append('\n');
    for (SystemSpread s : spreads) {
      md.append("| ").append(s.system()).append(" |");
      runs.values().forEach(o -> md.append(String.format(Locale.ROOT, " %.4f |",
          o.results().get(s.system()).metrics().microAveragePrecision())));
      md.append('\n');
    }
    Path summary = work.resolve("summary.md");
    AtomicFile.write(summary, tmp -> Files.writeString(tmp, md));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("recipe", recipe);
    json.put("seeds", runs.keySet());
    json.put("systems", spreads);
    Map<String, Map<String, IscMetrics>> perSeed = new LinkedHashMap<>();
    runs.forEach((seed, o) -> {
      Map<String, IscMetrics> m = new LinkedHashMap<>();
      o.results().forEach((k, v) -> m.put(k, v.metrics()));
      perSeed.put(String.valueOf(seed), m);
    });
    json.put("runs", perSeed);
    AtomicFile.writeJson(work.resolve("summary.json"), json);
    return summary;
  }
}
