package org.iscengine.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ISC21 ground truth: every query of the evaluation, and for each the references it copies
 * (none for a distractor query). Read from the CSV {@code query_id,reference_id}, an empty
 * reference marking a distractor.
 */
public final class GroundTruth {
  /** A (query, reference) match. */
  public record Match(String query, String reference) {}

  private final Set<String> queries;
  private final List<Match> matches;
  private final Map<String, Set<String>> referencesOf;

  public GroundTruth(Set<String> queries, List<Match> matches) {
    this.queries = Set.copyOf(queries);
    this.matches = List.copyOf(matches);
    Map<String, Set<String>> map = new HashMap<>();
    for (Match m : matches) {
      if (!queries.contains(m.query())) {
        throw new IllegalArgumentException("ground truth: match of unknown query " + m.query());
      }
      if (!map.computeIfAbsent(m.query(), q -> new HashSet<>()).add(m.reference())) {
        throw new IllegalArgumentException("ground truth: duplicate match " + m.query() + "," + m.reference());
      }
    }
    this.referencesOf = map;
  }

  public static GroundTruth read(Path csv) {
    if (!Files.isRegularFile(csv)) {
      throw new IllegalArgumentException(csv + ": no such file");
    }
    Set<String> queries = new java.util.LinkedHashSet<>();
    Map<String, Match> matches = new LinkedHashMap<>();
    try (BufferedReader in = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
      String line;
      int number = 0;
      while ((line = in.readLine()) != null) {
        number++;
        String row = line.strip();
        if (row.isEmpty() || (number == 1 && row.startsWith("query_id"))) {
          continue;
        }
        String[] cells = row.split(",", -1);
        if (cells.length != 2 || cells[0].isBlank()) {
          throw new IllegalArgumentException(csv + ":" + number + ": expected query_id,reference_id, got '" + line + "'");
        }
        String q = cells[0].strip();
        String r = cells[1].strip();
        queries.add(q);
        if (!r.isEmpty() && matches.putIfAbsent(q + "," + r, new Match(q, r)) != null) {
          throw new IllegalArgumentException(csv + ":" + number + ": duplicate row " + q + "," + r);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + csv + ": " + e.getMessage(), e);
    }
    return new GroundTruth(queries, new ArrayList<>(matches.values()));
  }

  /** Every query of the evaluation, distractors included. */
  public Set<String> queries() {
    return queries;
  }

  /** The (query, reference) matches; their number is the denominator of recall and μAP. */
  public List<Match> matches() {
    return matches;
  }

  public boolean isMatch(String query, String reference) {
    Set<String> refs = referencesOf.get(query);
    return refs != null && refs.contains(reference);
  }

  /** The ground truth of some of its queries only (those of the set that it knows), with their matches. */
  public GroundTruth restrictedTo(Set<String> subset) {
    Set<String> kept = new java.util.LinkedHashSet<>();
    for (String q : queries) {
      if (subset.contains(q)) {
        kept.add(q);
      }
    }
    return new GroundTruth(kept, matches.stream().filter(m -> kept.contains(m.query())).toList());
  }

  /** The references a query copies (empty for a distractor). */
  public Set<String> referencesOf(String query) {
    return referencesOf.getOrDefault(query, Set.of());
  }
}
