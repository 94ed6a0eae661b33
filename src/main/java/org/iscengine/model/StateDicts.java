package org.iscengine.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;

/**
 * State dicts (parameter and buffer name to tensor) of modules built in Java, and strict
 * loading into them: a report of missing keys, unexpected keys and shape mismatches, and an
 * error unless a partial load is explicitly allowed. A refused load changes nothing.
 */
public final class StateDicts {
  private StateDicts() {}

  /** What loading found. */
  public record LoadReport(List<String> missing, List<String> unexpected, List<String> shapeMismatches,
      int loaded) {
    public boolean complete() {
      return missing.isEmpty() && unexpected.isEmpty() && shapeMismatches.isEmpty();
    }

    /** A readable account (first keys of each kind). */
    public String describe() {
      StringBuilder s = new StringBuilder(loaded + " tensors loaded");
      append(s, "missing from the checkpoint (left as initialised)", missing);
      append(s, "in the checkpoint but not in the model", unexpected);
      append(s, "with another shape", shapeMismatches);
      return s.toString();
    }

    private static void append(StringBuilder s, String what, List<String> keys) {
      if (!keys.isEmpty()) {
        s.append("; ").append(keys.size()).append(' ').append(what).append(": ")
            .append(String.join(", ", keys.subList(0, Math.min(8, keys.size()))))
            .append(keys.size() > 8 ? ", ..." : "");
      }
    }
  }

  /** The module's parameters and buffers by name (owning handles sharing their storage). */
  public static Map<String, Tensor> of(Module module) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (StringTensorDict dict : new StringTensorDict[] {module.named_parameters(), module.named_buffers()}) {
      try (dict) {
        for (long i = 0; i < dict.size(); i++) {
          out.put(dict.get(i).key().getString(), new Tensor(dict.get(i).value()));
        }
      }
    }
    return out;
  }

  /**
   * Copies the tensors of source into the module's parameters and buffers of the same name. A
   * missing num_batches_tracked (older PyTorch, timm) is not counted as missing.
   *
   * @throws IncompatibleCheckpointException when keys or shapes disagree and allowPartial is false
   */
  public static LoadReport load(Module module, Map<String, Tensor> source, boolean allowPartial) {
    Map<String, Tensor> target = of(module);
    try {
      List<String> missing = new ArrayList<>();
      List<String> mismatched = new ArrayList<>();
      List<String> unexpected = new ArrayList<>();
      for (Map.Entry<String, Tensor> e : target.entrySet()) {
        Tensor s = source.get(e.getKey());
        if (s == null) {
          if (!e.getKey().endsWith("num_batches_tracked")) {
            missing.add(e.getKey());
          }
        } else if (!Arrays.equals(s.shape(), e.getValue().shape())) {
          mismatched.add(e.getKey() + " " + Arrays.toString(s.shape()) + " vs model "
              + Arrays.toString(e.getValue().shape()));
        }
      }
      for (String key : source.keySet()) {
        if (!target.containsKey(key)) {
          unexpected.add(key);
        }
      }
      int loadable = (int) source.keySet().stream().filter(target::containsKey).count() - mismatched.size();
      LoadReport report = new LoadReport(missing, unexpected, mismatched, loadable);
      if (!report.complete() && !allowPartial) {
        throw new IncompatibleCheckpointException(report);
      }
      try (NoGradGuard noGrad = new NoGradGuard()) {
        for (Map.Entry<String, Tensor> e : target.entrySet()) {
          Tensor s = source.get(e.getKey());
          if (s != null && Arrays.equals(s.shape(), e.getValue().shape())) {
            e.getValue().copy_(s);
          }
        }
      }
      return report;
    } finally {
      target.values().forEach(Tensor::close);
    }
  }

  /** The same map with prefix removed from every key, if every key has it; else unchanged. */
  public static Map<String, Tensor> stripPrefix(Map<String, Tensor> dict, String prefix) {
    if (dict.isEmpty() || !dict.keySet().stream().allMatch(k -> k.startsWith(prefix))) {
      return dict;
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    dict.forEach((k, v) -> out.put(k.substring(prefix.length()), v));
    return out;
  }

  /** The same map with prefix before every key. */
  public static Map<String, Tensor> addPrefix(Map<String, Tensor> dict, String prefix) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    dict.forEach((k, v) -> out.put(prefix + k, v));
    return out;
  }
}
