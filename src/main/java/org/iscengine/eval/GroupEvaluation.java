package org.iscengine.eval;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.iscengine.match.Predictions;

/**
 * The ISC21 metrics on groups of queries, for instance the queries made with each kind of edit: a
 * group's metrics are those of its queries alone (their predictions, their ground-truth pairs,
 * distractors included), so a group's μAP says how well the system ranks copies made that way
 * against false matches of queries made that way. A query may belong to several groups.
 */
public final class GroupEvaluation {
  /** One group: its queries, the copy queries among them, and the metrics on them. */
  public record Group(int queries, int copies, IscMetrics metrics) {}

  private GroupEvaluation() {}

  /** Every group named in groupsOfQuery, by name; queries without groups, or unknown to the truth, are left out. */
  public static Map<String, Group> evaluate(Predictions predictions, GroundTruth truth,
      Map<String, List<String>> groupsOfQuery) {
    Map<String, Set<String>> members = new TreeMap<>();
    groupsOfQuery.forEach((query, groups) -> {
      if (truth.queries().contains(query)) {
        groups.forEach(g -> members.computeIfAbsent(g, k -> new TreeSet<>()).add(query));
      }
    });
    Map<String, Group> out = new LinkedHashMap<>();
    members.forEach((group, queries) -> {
      GroundTruth sub = truth.restrictedTo(queries);
      Set<String> copies = new HashSet<>();
      sub.matches().forEach(m -> copies.add(m.query()));
      out.put(group, new Group(queries.size(), copies.size(),
          IscEvaluation.evaluate(only(predictions, queries), sub).metrics()));
    });
    return out;
  }

  /** The rows of these queries, in their order. */
  static Predictions only(Predictions predictions, Set<String> queries) {
    int n = 0;
    for (int i = 0; i < predictions.size(); i++) {
      n += queries.contains(predictions.queryId(i)) ? 1 : 0;
    }
    int[] q = new int[n];
    int[] r = new int[n];
    float[] s = new float[n];
    int j = 0;
    for (int i = 0; i < predictions.size(); i++) {
      if (queries.contains(predictions.queryId(i))) {
        q[j] = predictions.queryIndex(i);
        r[j] = predictions.referenceIndex(i);
        s[j++] = predictions.score(i);
      }
    }
    return new Predictions(predictions.queryIds(), predictions.referenceIds(), q, r, s);
  }
}
