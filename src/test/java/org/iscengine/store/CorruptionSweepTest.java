package org.iscengine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.errors.IscException;
import org.iscengine.io.FileTrees;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.Metric;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damages a store's files the ways disks and crashes do (the log cut at every byte offset, random bit
 * flips in the log and in snapshot files) and opens each damaged copy. Every outcome must be one the
 * owner can live with: everything acknowledged is there, only a torn last write is missing, or the
 * store refuses to open and names what is damaged. A store that opens with acknowledged references
 * missing or changed, or fails any other way, is a silent loss: there must be none.
 */
class CorruptionSweepTest {
  private static final int DIM = 6;
  private static final ReferenceStore.Options OPTIONS = new ReferenceStore.Options("exact", Metric.INNER_PRODUCT, 0);
  @TempDir Path dir;
  private final long seed = RandomTensors.freshSeed();
  private final Random random = new Random(seed);

  enum Outcome { INTACT, IN_FLIGHT_PART, LAST_WRITE_LOST, REFUSED, SILENT_LOSS }

  /** The references held after each acknowledged change, and the log's length at that moment. */
  private record History(List<Map<String, float[]>> states, List<Long> logLengths) {
    Map<String, float[]> last() {
      return states.get(states.size() - 1);
    }
  }

  @Test
  void cuttingTheLogAnywhereLosesAtMostTheWriteInFlight() throws IOException {
    Path store = dir.resolve("store");
    History history = workload(store, false);
    byte[] log = Files.readAllBytes(store.resolve("references.log"));
    Map<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);
    List<String> losses = new ArrayList<>();
    for (int cut = 0; cut <= log.length; cut++) {
      int acknowledged = -1;  // the last change whose records lie wholly before the cut
      while (acknowledged + 1 < history.logLengths().size() && history.logLengths().get(acknowledged + 1) <= cut) {
        acknowledged++;
      }
      Map<String, float[]> expected = acknowledged < 0 ? Map.of() : history.states().get(acknowledged);
      // The change being written when the cut fell may be partly there: a bulk add's first records.
      Map<String, float[]> inFlight = acknowledged + 1 < history.states().size()
          ? history.states().get(acknowledged + 1) : expected;
      Path copy = damagedCopy(store, "cut" + cut, "references.log", Arrays.copyOf(log, cut));
      Outcome outcome = open(copy, expected, null, inFlight);
      outcomes.merge(outcome, 1, Integer::sum);
      if (outcome == Outcome.SILENT_LOSS || outcome == Outcome.REFUSED) {
        losses.add("cut at " + cut + ": " + outcome);
      }
      deleteTree(copy);
    }
    System.out.printf("log cut at each of %d offsets: %s (seed %d)%n", log.length + 1, outcomes, seed);
    // A cut is exactly what a torn append leaves: the store must open with every change before it.
    assertTrue(losses.isEmpty(), losses.size() + " cuts not recovered, first " + losses.subList(0,
        Math.min(5, losses.size())) + " (seed " + seed + ")");
  }

  @Test
  void bitFlipsInTheLogAreNeverSilent() throws IOException {
    Path store = dir.resolve("store");
    History history = workload(store, false);
    byte[] log = Files.readAllBytes(store.resolve("references.log"));
    Map<Outcome, Integer> outcomes = sweepFlips(store, "references.log", log, 2000, history);
    System.out.printf("2000 bit flips in a %d-byte log: %s (seed %d)%n", log.length, outcomes, seed);
    assertEquals(0, outcomes.getOrDefault(Outcome.SILENT_LOSS, 0), outcomes + " (seed " + seed + ")");
  }

  @Test
  void bitFlipsInSnapshotFilesAreNeverSilent() throws IOException {
    Path store = dir.resolve("store");
    History history = workload(store, true);
    List<Path> files;
    try (Stream<Path> s = Files.walk(store.resolve("snapshots"))) {
      files = s.filter(Files::isRegularFile).map(store::relativize).toList();
    }
    assertTrue(!files.isEmpty(), "the workload wrote a snapshot");
    Map<Outcome, Integer> total = new EnumMap<>(Outcome.class);
    int flips = 0;
    for (Path file : files) {
      byte[] bytes = Files.readAllBytes(store.resolve(file));
      if (bytes.length == 0) {
        continue;
      }
      int n = Math.max(50, 1000 / files.size());
      sweepFlips(store, file.toString(), bytes, n, history).forEach((k, v) -> total.merge(k, v, Integer::sum));
      flips += n;
    }
    System.out.printf("%d bit flips in %d snapshot files: %s (seed %d)%n", flips, files.size(), total, seed);
    assertEquals(0, total.getOrDefault(Outcome.SILENT_LOSS, 0), total + " (seed " + seed + ")");
  }

  /** Flips one random bit per try in {@code file} of a copy of the store and opens the copy. */
  private Map<Outcome, Integer> sweepFlips(Path store, String file, byte[] bytes, int tries, History history)
      throws IOException {
    Map<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);
    List<String> failures = new ArrayList<>();
    Map<String, float[]> beforeLast = history.states().get(history.states().size() - 2);
    for (int t = 0; t < tries; t++) {
      byte[] damaged = bytes.clone();
      int offset = random.nextInt(damaged.length);
      int bit = random.nextInt(8);
      damaged[offset] ^= (byte) (1 << bit);
      Path copy = damagedCopy(store, "flip" + t, file, damaged);
      Outcome outcome = open(copy, history.last(), beforeLast, history.last());
      outcomes.merge(outcome, 1, Integer::sum);
      if (outcome == Outcome.SILENT_LOSS && failures.size() < 5) {
        failures.add(file + " byte " + offset + " bit " + bit);
      }
      deleteTree(copy);
    }
    if (!failures.isEmpty()) {
      System.out.println("silent losses, first: " + failures + " (seed " + seed + ")");
    }
    return outcomes;
  }

  /**
   * Single adds, a bulk add and removes, ending with a single add; with {@code snapshot}, a snapshot
   * in the middle. Returns the state after each acknowledged change.
   */
  private History workload(Path store, boolean snapshot) {
    List<Map<String, float[]>> states = new ArrayList<>();
    List<Long> lengths = new ArrayList<>();
    Map<String, float[]> held = new LinkedHashMap<>();
    try (ReferenceStore s = ReferenceStore.open(store, DIM, OPTIONS)) {
      for (int i = 0; i < 30; i++) {
        if (i == 12) {
          List<ReferenceStore.Reference> bulk = new ArrayList<>();
          for (int j = 0; j < 5; j++) {
            bulk.add(new ReferenceStore.Reference("bulk-" + j, vector()));
          }
          s.add(bulk);
          bulk.forEach(r -> held.put(r.id(), r.vector()));
        } else if (i % 7 == 6) {
          String victim = held.keySet().iterator().next();
          s.remove(victim);
          held.remove(victim);
        } else {
          float[] v = vector();
          s.add("ref " + i, v);
          held.put("ref " + i, v);
        }
        if (snapshot && i == 18) {
          s.snapshot();
        }
        states.add(new LinkedHashMap<>(held));
        lengths.add(size(store.resolve("references.log")));
      }
      // A crash image is what the disk holds while the store is open: copy before close writes more.
      copyTree(store, dir.resolve("image"));
    }
    deleteTree(store);
    try {
      Files.move(dir.resolve("image"), store);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new History(states, lengths);
  }

  /**
   * Opens a damaged copy and classifies the result against the full state, the state with part of
   * the add in flight, and, where losing the last write is acceptable, the state before it.
   */
  private Outcome open(Path copy, Map<String, float[]> expected, Map<String, float[]> beforeLast,
      Map<String, float[]> inFlight) {
    try (ReferenceStore s = ReferenceStore.open(copy, DIM, OPTIONS)) {
      if (holds(s, expected)) {
        return Outcome.INTACT;
      }
      if (holdsPart(s, expected, inFlight)) {
        return Outcome.IN_FLIGHT_PART;
      }
      return beforeLast != null && holds(s, beforeLast) ? Outcome.LAST_WRITE_LOST : Outcome.SILENT_LOSS;
    } catch (IscException e) {
      // A refusal must say which file is damaged.
      boolean named = e.kind() == IscException.Kind.CORRUPT_DATA
          && (e.getMessage().contains("references.log") || e.getMessage().contains("snapshot"));
      return named ? Outcome.REFUSED : Outcome.SILENT_LOSS;
    } catch (RuntimeException e) {
      return Outcome.SILENT_LOSS;
    }
  }

  /** Exactly these references, each its own best match with its own score. */
  private static boolean holds(ReferenceStore s, Map<String, float[]> expected) {
    return s.size() == expected.size() && expected.entrySet().stream().allMatch(e -> holds(s, e.getKey(), e.getValue()));
  }

  /** Everything of {@code lower} and, beyond it, only references of {@code upper} (a part of an add). */
  private static boolean holdsPart(ReferenceStore s, Map<String, float[]> lower, Map<String, float[]> upper) {
    if (!lower.entrySet().stream().allMatch(e -> holds(s, e.getKey(), e.getValue()))) {
      return false;
    }
    long extra = upper.entrySet().stream()
        .filter(e -> !lower.containsKey(e.getKey()) && s.contains(e.getKey()))
        .filter(e -> holds(s, e.getKey(), e.getValue()))
        .count();
    return s.size() == lower.size() + extra;
  }

  /** The store holds this reference with this vector: it is its own best match, with its own score. */
  private static boolean holds(ReferenceStore s, String id, float[] v) {
    if (!s.contains(id)) {
      return false;
    }
    float self = 0;
    for (float x : v) {
      self += x * x;
    }
    try (Tensor q = HostTensors.tensor(v, 1, DIM)) {
      ReferenceStore.Hit hit = s.search(q, 1).get(0).get(0);
      return hit.id().equals(id) && Math.abs(hit.score() - self) <= 1e-6f;
    }
  }

  private float[] vector() {
    return RandomTensors.unitVector(random, DIM);
  }

  private Path damagedCopy(Path store, String name, String file, byte[] content) throws IOException {
    Path copy = dir.resolve(name);
    copyTree(store, copy);
    Files.write(copy.resolve(file), content);
    return copy;
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void copyTree(Path from, Path to) {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.getFileName().toString().equals("store.lock")) {
          continue;
        }
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteTree(Path root) {
    try {
      FileTrees.delete(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
