package org.iscengine.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.razorvine.pickle.PickleException;
import org.iscengine.errors.IscException;
import org.iscengine.io.BoundedUnpickler;
import org.iscengine.io.InputLimits;

/**
 * The ground truth of revisited Oxford/Paris (Radenović et al., 2018): the database images
 * ({@code imlist}), the query images ({@code qimlist}) and per query ({@code gnd}) the indices of
 * its easy, hard and junk database images. Read from the dataset's {@code gnd_*.pkl} (a Python
 * pickle of lists and dicts) or from the same structure in JSON.
 */
public record RevisitedGroundTruth(List<String> images, List<String> queries, List<Entry> entries) {
  /** One query's database image indices. */
  public record Entry(int[] easy, int[] hard, int[] junk) {}

  public RevisitedGroundTruth {
    images = List.copyOf(images);
    queries = List.copyOf(queries);
    entries = List.copyOf(entries);
    if (entries.size() != queries.size()) {
      throw new IllegalArgumentException("revisited ground truth: " + queries.size() + " queries but "
          + entries.size() + " gnd entries");
    }
    for (int q = 0; q < entries.size(); q++) {
      for (int[] list : new int[][] {entries.get(q).easy(), entries.get(q).hard(), entries.get(q).junk()}) {
        for (int i : list) {
          if (i < 0 || i >= images.size()) {
            throw new IllegalArgumentException("revisited ground truth: query " + queries.get(q) + " names image "
                + i + " of " + images.size());
          }
        }
      }
    }
  }

  /**
   * Reads a gnd_*.pkl file, or JSON with the same keys (imlist, qimlist, gnd). A file that is not
   * such a ground truth is CORRUPT_DATA.
   */
  public static RevisitedGroundTruth read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": no such file");
    }
    try {
      return file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".json")
          ? fromJson(new ObjectMapper().readTree(file.toFile()), file)
          : fromPickle(file);
    } catch (JsonProcessingException e) {
      throw corrupt(file, "not JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read it: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw corrupt(file, e.getMessage(), e);
    }
  }

  private static IscException corrupt(Path file, String what, Throwable cause) {
    return new IscException(IscException.Kind.CORRUPT_DATA, file + ": " + what, cause);
  }

  private static RevisitedGroundTruth fromPickle(Path file) throws IOException {
    byte[] pickle;
    try (InputStream in = Files.newInputStream(file)) {
      pickle = InputLimits.readAtMost(in, BoundedUnpickler.MAX_PICKLE_BYTES, file.toString());
    }
    Object root;
    try {
      root = new BoundedUnpickler(file.toString()).loads(pickle);
    } catch (PickleException | ClassCastException | IOException e) {
      throw corrupt(file, "not a ground-truth pickle of plain lists and dicts (" + e.getMessage()
          + "); convert it to JSON with the same keys", e);
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw corrupt(file, "expected a dict with imlist, qimlist and gnd", null);
    }
    List<String> images = strings(map.get("imlist"), file, "imlist");
    List<String> queries = strings(map.get("qimlist"), file, "qimlist");
    if (!(map.get("gnd") instanceof List<?> gnd)) {
      throw corrupt(file, "'gnd' is missing or not a list", null);
    }
    List<Entry> entries = new ArrayList<>();
    for (int q = 0; q < gnd.size(); q++) {
      if (!(gnd.get(q) instanceof Map<?, ?> e)) {
        throw corrupt(file, "gnd[" + q + "] is not a dict", null);
      }
      entries.add(new Entry(ints(e.get("easy"), file, q, "easy"), ints(e.get("hard"), file, q, "hard"),
          ints(e.get("junk"), file, q, "junk")));
    }
    return new RevisitedGroundTruth(images, queries, entries);
  }

  private static RevisitedGroundTruth fromJson(JsonNode root, Path file) {
    List<String> images = new ArrayList<>();
    root.path("imlist").forEach(n -> images.add(n.asText()));
    List<String> queries = new ArrayList<>();
    root.path("qimlist").forEach(n -> queries.add(n.asText()));
    if (images.isEmpty() || queries.isEmpty() || !root.path("gnd").isArray()) {
      throw corrupt(file, "expected non-empty 'imlist', 'qimlist' and a 'gnd' array", null);
    }
    List<Entry> entries = new ArrayList<>();
    for (JsonNode e : root.path("gnd")) {
      entries.add(new Entry(ints(e.path("easy")), ints(e.path("hard")), ints(e.path("junk"))));
    }
    return new RevisitedGroundTruth(images, queries, entries);
  }

  private static List<String> strings(Object value, Path file, String key) {
    if (!(value instanceof List<?> list)) {
      throw corrupt(file, "'" + key + "' is missing or not a list", null);
    }
    return list.stream().map(String::valueOf).toList();
  }

  private static int[] ints(Object value, Path file, int q, String key) {
    if (value == null) {
      return new int[0];
    }
    if (!(value instanceof List<?> list)) {
      throw corrupt(file, "gnd[" + q + "]['" + key + "'] is not a list of indices", null);
    }
    int[] out = new int[list.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(list.get(i) instanceof Number n)) {
        throw corrupt(file, "gnd[" + q + "]['" + key + "'][" + i + "] is not an index", null);
      }
      out[i] = n.intValue();
    }
    return out;
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }
}
