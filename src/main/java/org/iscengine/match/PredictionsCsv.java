package org.iscengine.match;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.iscengine.io.AtomicFile;

/**
 * Predictions as CSV, the ISC21 format: a header {@code query_id,reference_id,score}, then one
 * row per prediction. Reading reports the line of any malformed row.
 */
public final class PredictionsCsv {
  public static final String HEADER = "query_id,reference_id,score";

  private PredictionsCsv() {}

  public static Predictions read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": no such file");
    }
    Map<String, Integer> queries = new HashMap<>();
    Map<String, Integer> references = new HashMap<>();
    List<String> queryIds = new ArrayList<>();
    List<String> referenceIds = new ArrayList<>();
    IntColumn q = new IntColumn();
    IntColumn r = new IntColumn();
    float[] scores = new float[1024];
    int n = 0;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int lineNumber = 0;
      while ((line = in.readLine()) != null) {
        lineNumber++;
        if (line.isBlank() || (lineNumber == 1 && line.strip().equals(HEADER))) {
          continue;
        }
        int a = line.indexOf(',');
        int b = a < 0 ? -1 : line.indexOf(',', a + 1);
        if (a <= 0 || b <= a + 1 || line.indexOf(',', b + 1) >= 0) {
          throw new IllegalArgumentException(file + ":" + lineNumber + ": expected query_id,reference_id,score, got '"
              + line + "'");
        }
        float score;
        try {
          score = Float.parseFloat(line.substring(b + 1).strip());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(file + ":" + lineNumber + ": score '" + line.substring(b + 1)
              + "' is not a number");
        }
        if (!Float.isFinite(score)) {
          throw new IllegalArgumentException(file + ":" + lineNumber + ": score " + score + " is not finite");
        }
        q.add(index(line.substring(0, a).strip(), queries, queryIds));
        r.add(index(line.substring(a + 1, b).strip(), references, referenceIds));
        if (n == scores.length) {
          scores = java.util.Arrays.copyOf(scores, 2 * n);
        }
        scores[n++] = score;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return new Predictions(queryIds, referenceIds, q.toArray(), r.toArray(), java.util.Arrays.copyOf(scores, n));
  }

  public static void write(Path file, Predictions predictions) {
    AtomicFile.write(file, tmp -> {
      try (BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        out.write(HEADER);
        out.write('\n');
        StringBuilder line = new StringBuilder(64);
        for (int i = 0; i < predictions.size(); i++) {
          line.setLength(0);
          line.append(predictions.queryId(i)).append(',').append(predictions.referenceId(i)).append(',')
              .append(predictions.score(i)).append('\n');
          out.append(line);
        }
      }
    });
  }

  private static int index(String id, Map<String, Integer> table, List<String> ids) {
    Integer i = table.get(id);
    if (i == null) {
      i = ids.size();
      table.put(id, i);
      ids.add(id);
    }
    return i;
  }

  /** A growing int array. */
  static final class IntColumn {
    private int[] values = new int[1024];
    private int size;

    void add(int v) {
      if (size == values.length) {
        values = java.util.Arrays.copyOf(values, 2 * size);
      }
      values[size++] = v;
    }

    int[] toArray() {
      return java.util.Arrays.copyOf(values, size);
    }
  }
}
