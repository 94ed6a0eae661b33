package org.iscengine.store;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.iscengine.io.FileTrees;
import org.iscengine.kernels.Metric;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Crash states of the reference store: a workload of single adds, bulk adds, removes and snapshots
 * runs with its log channels traced; at each sync of the log, and at each write of a log being
 * rewritten, the folder a crash could leave is built (what was synced, plus part of what was not:
 * byte prefixes of the unsynced writes, a torn append that reads back as zeros, unsynced 4 KiB
 * pages landing in any subset), and around each snapshot (half-written, published before the
 * oldest is pruned, published). Each image must open and hold every acknowledged change, with
 * nothing extra but changes of the one in flight; one image in eight, once recovered and closed,
 * must open again to the same references.
 *
 * <p>{@code -Disc.crashStateChanges=N} sets the workload's length: the default, 640, explores
 * over 20 000 states in about three minutes on two idle cores; 200 explores about 6 300.
 */
@Tag("slow")
class CrashStateTest {
  private static final int DIM = 8;
  private static final int PAGE = 4096;
  private static final int CHANGES = Integer.getInteger("isc.crashStateChanges", 640);
  /** Images per sync point: byte prefixes, zero-filled extensions, page subsets. */
  private static final int PREFIXES = 20;
  private static final int ZEROS = 10;
  private static final int PAGE_SUBSETS = 8;
  /** One image in this many is opened a second time, after its recovery and final snapshot. */
  private static final int REOPEN_EVERY = 8;
  private static final ReferenceStore.Options OPTIONS = new ReferenceStore.Options("exact", Metric.INNER_PRODUCT, 0);
  private static final String LOG = "references.log";

  @TempDir Path tmp;
  private final long seed = RandomTensors.freshSeed();
  private final Random random = new Random(seed);
  private Path store;
  private Path images;

  /** A write to the log not yet synced, or a cut ({@code cutTo} >= 0). */
  private record Change(long position, byte[] data, long cutTo) {}

  // What the disk holds for sure: the log as of its last sync, the published snapshots.
  private byte[] syncedLog;
  private final List<Change> unsynced = new ArrayList<>();
  /** A log being rewritten (or created) in a temporary file: its name and bytes so far. */
  private final Map<String, byte[]> temporaries = new TreeMap<>();
  private Map<String, byte[]> snapshots = Map.of();
  private boolean snapshotsStale;

  // What the workload was told: acknowledged references, and the change in flight (null: removed).
  private final Map<String, float[]> acked = new HashMap<>();
  private final Map<String, List<float[]>> inFlight = new HashMap<>();

  /** Distinct checks (image and what it must hold), and distinct images. */
  private final Set<String> seen = new HashSet<>();
  private final Set<String> disks = new HashSet<>();
  private final List<String> violations = new ArrayList<>();
  private int syncPoints;
  private int reopens;
  private int rewrites;
  private int snapshotImages;
  private String where = "";

  @Test
  void everyCrashImageOpensWithTheAcknowledgedChanges() throws Exception {
    Path shm = Path.of("/dev/shm");
    // Images are opened, replayed and snapshotted by the thousand: in memory when the machine allows.
    Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "isc-crash-") : tmp;
    store = base.resolve("store");
    images = base.resolve("images");
    ch.qos.logback.classic.Logger quiet = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.iscengine");
    Level level = quiet.getLevel();
    quiet.setLevel(Level.ERROR);  // each image logs its recovery: thousands of lines
    long t0 = System.nanoTime();
    try {
      runWorkload();
    } finally {
      quiet.setLevel(level);
      FileTrees.delete(base.equals(tmp) ? images : base);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    String summary = String.format("crash states: %d explored (%d distinct images; %d log syncs, %d snapshot"
        + " images, %d logs created or compacted, %d reopened after recovery), %d changes, %d violations, %.1f s,"
        + " seed %d", seen.size(), disks.size(), syncPoints, snapshotImages, rewrites, reopens, CHANGES,
        violations.size(), seconds, seed);
    System.out.println(summary);
    assertTrue(violations.isEmpty(), summary + "\n" + String.join("\n", violations.subList(0,
        Math.min(20, violations.size()))));
    assertTrue(rewrites >= 2 && snapshotImages >= 6, "the workload must snapshot and compact the log: " + summary);
  }

  private void runWorkload() throws IOException {
    List<String> ids = new ArrayList<>();
    int next = 0;
    try (ReferenceStore s = ReferenceStore.open(store, DIM, OPTIONS, hooks())) {
      for (int change = 0; change < CHANGES; change++) {
        where = "change " + change;
        if (change > 0 && change % Math.max(1, CHANGES / 3) == 0) {
          snapshot(s);
        }
        int op = random.nextInt(10);
        if (op < 2 && !ids.isEmpty()) {
          String id = ids.remove(random.nextInt(ids.size()));
          inFlight.computeIfAbsent(id, k -> new ArrayList<>()).add(null);
          assertTrue(s.remove(id));
          acked.remove(id);
        } else {
          // A single add or a bulk one; about a third replace references held, to give compaction work.
          int n = op < 7 ? 1 : 2 + random.nextInt(24);
          List<ReferenceStore.Reference> batch = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            String id = !ids.isEmpty() && random.nextInt(3) == 0 ? ids.get(random.nextInt(ids.size())) : "r" + next++;
            if (!ids.contains(id)) {
              ids.add(id);
            }
            float[] v = RandomTensors.unitVector(random, DIM);
            batch.add(new ReferenceStore.Reference(id, v));
            inFlight.computeIfAbsent(id, k -> new ArrayList<>()).add(v);
          }
          s.add(batch);
          batch.forEach(r -> acked.put(r.id(), r.vector()));
        }
        inFlight.clear();
      }
      where = "last snapshot";
      snapshot(s);
    }
  }

  /**
   * A snapshot, and the images around it: the new folder half-written under its building name,
   * published beside the snapshots it prunes, and published (the log as before it compacts).
   */
  private void snapshot(ReferenceStore s) throws IOException {
    byte[] log = syncedLog;
    Map<String, byte[]> before = capture();
    s.snapshot();
    Map<String, byte[]> after = capture();
    Map<String, byte[]> building = new TreeMap<>(before);
    Map<String, byte[]> both = new TreeMap<>(before);
    after.forEach((name, bytes) -> {
      String folder = name.substring(0, name.indexOf('/'));
      if (before.keySet().stream().noneMatch(b -> b.startsWith(folder + "/"))) {
        building.put(".tmp-" + name, Arrays.copyOf(bytes, bytes.length / 2));
        both.put(name, bytes);
      }
    });
    for (Map<String, byte[]> state : List.of(building, both, after)) {
      snapshotImages++;
      explore(log, Map.of(), state, "snapshot");
    }
  }

  private StoreHooks hooks() {
    TracedChannel.Listener trace = new TracedChannel.Listener() {
      @Override
      public void write(Path file, long position, ByteBuffer data) throws IOException {
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        if (file.getFileName().toString().equals(LOG)) {
          unsynced.add(new Change(position, bytes, -1));
          return;
        }
        // A log being created or rewritten: it replaces the log only once synced and renamed.
        byte[] old = temporaries.getOrDefault(file.getFileName().toString(), new byte[0]);
        byte[] now = Arrays.copyOf(old, (int) Math.max(old.length, position + bytes.length));
        System.arraycopy(bytes, 0, now, (int) position, bytes.length);
        temporaries.put(file.getFileName().toString(), now);
        explore(syncedLog, temporaries, snapshots(), "log rewrite");
      }

      @Override
      public void truncate(Path file, long size) {
        if (file.getFileName().toString().equals(LOG)) {
          unsynced.add(new Change(size, null, size));
        }
      }

      @Override
      public void force(Path file) throws IOException {
        if (!file.getFileName().toString().equals(LOG)) {
          return;
        }
        syncPoints++;
        crashAtSync();
        syncedLog = Files.readAllBytes(file);  // the sync about to run makes what is written durable
        unsynced.clear();
      }
    };
    return new StoreHooks() {
      @Override
      public FileChannel channel(Path file, FileChannel channel) throws IOException {
        if (file.getFileName().toString().equals(LOG)) {
          if (!temporaries.isEmpty()) {
            rewrites++;
          }
          // The log was just created or renamed into place, synced with its folder.
          syncedLog = Files.readAllBytes(file);
          unsynced.clear();
          temporaries.clear();
          explore(syncedLog, Map.of(), snapshots(), "log renamed");
        }
        return new TracedChannel(file, channel, trace);
      }

      @Override
      public void beforeSnapshotWrite() {
        snapshotsStale = true;
      }
    };
  }

  /** The crash images at a sync of the log: what is synced, plus some of what is not. */
  private void crashAtSync() throws IOException {
    Map<String, byte[]> snaps = snapshots();
    byte[] full = apply(syncedLog, unsynced, Long.MAX_VALUE);
    long total = unsynced.stream().mapToLong(c -> c.data() == null ? 0 : c.data().length).sum();
    explore(syncedLog, Map.of(), snaps, "synced");
    explore(full, Map.of(), snaps, "all unsynced");
    // (a) the unsynced writes, in order, up to a byte
    for (long cut : cuts(total, PREFIXES)) {
      explore(apply(syncedLog, unsynced, cut), Map.of(), snaps, "prefix " + cut);
    }
    // (b) the file grew, but the end of the append reads back as zeros
    for (long cut : cuts(total, ZEROS)) {
      byte[] torn = apply(syncedLog, unsynced, cut);
      explore(Arrays.copyOf(torn, Math.max(torn.length, full.length)), Map.of(), snaps, "zeros after " + cut);
    }
    // (c) the unsynced 4 KiB pages reach the disk in any subset, the size with them or not
    long from = unsynced.stream().filter(c -> c.data() != null).mapToLong(Change::position).min().orElse(0);
    int first = (int) (from / PAGE);
    int pages = (full.length + PAGE - 1) / PAGE - first;
    for (int i = 0; i < PAGE_SUBSETS && pages > 0; i++) {
      byte[] image = Arrays.copyOf(syncedLog, full.length);
      int last = -1;
      for (int p = first; p < first + pages; p++) {
        if (random.nextBoolean()) {
          int start = p * PAGE;
          int end = Math.min(full.length, start + PAGE);
          System.arraycopy(full, start, image, start, end - start);
          last = end;
        }
      }
      if (random.nextBoolean()) {  // the size was not updated past the last page that landed
        image = Arrays.copyOf(image, Math.max(syncedLog.length, last));
      }
      explore(image, Map.of(), snaps, "pages");
    }
  }

  /** Up to n distinct cut points strictly inside (0, total). */
  private List<Long> cuts(long total, int n) {
    Set<Long> out = new HashSet<>();
    if (total - 1 <= n) {
      for (long c = 1; c < total; c++) {
        out.add(c);
      }
    } else {
      while (out.size() < n) {
        out.add(1 + (long) (random.nextDouble() * (total - 1)));
      }
    }
    return new ArrayList<>(out);
  }

  /** The log with the unsynced changes applied in order, stopping after {@code bytes} written bytes. */
  private static byte[] apply(byte[] synced, List<Change> changes, long bytes) {
    byte[] out = synced.clone();
    long left = bytes;
    for (Change c : changes) {
      if (c.cutTo() >= 0) {
        out = Arrays.copyOf(out, (int) c.cutTo());
        continue;
      }
      int n = (int) Math.min(left, c.data().length);
      if (n <= 0) {
        break;
      }
      out = Arrays.copyOf(out, (int) Math.max(out.length, c.position() + n));
      System.arraycopy(c.data(), 0, out, (int) c.position(), n);
      left -= n;
    }
    return out;
  }

  private Map<String, byte[]> snapshots() throws IOException {
    if (snapshotsStale) {  // a snapshot was published since: it is durable (synced, then renamed)
      snapshots = capture();
      snapshotsStale = false;
    }
    return snapshots;
  }

  /** The files under the store's snapshots folder, by relative path. */
  private Map<String, byte[]> capture() throws IOException {
    Path dir = store.resolve("snapshots");
    Map<String, byte[]> out = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }

  /** Builds one image (once per distinct content), opens it and checks what it holds. */
  private void explore(byte[] log, Map<String, byte[]> temps, Map<String, byte[]> snaps, String how) {
    if (log == null) {
      return;  // no log yet: nothing was acknowledged
    }
    StringBuilder key = new StringBuilder().append(log.length).append(':').append(crc(log));
    temps.forEach((k, v) -> key.append(':').append(k).append('=').append(crc(v)));
    snaps.forEach((k, v) -> key.append(':').append(k).append('=').append(crc(v)));
    disks.add(key.toString());
    // The same image checked against other expectations (a change acknowledged since) is another state.
    if (!seen.add(key + ":" + where + ":" + inFlight.keySet())) {
      return;
    }
    Path image = images.resolve("image");
    try {
      FileTrees.delete(image);
      Files.createDirectories(image.resolve("snapshots"));
      Files.write(image.resolve(LOG), log);
      for (Map.Entry<String, byte[]> e : temps.entrySet()) {
        Files.write(image.resolve(e.getKey()), e.getValue());
      }
      for (Map.Entry<String, byte[]> e : snaps.entrySet()) {
        Path p = image.resolve("snapshots").resolve(e.getKey());
        Files.createDirectories(p.getParent());
        Files.write(p, e.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String state = where + ", " + how + " (log " + log.length + " bytes, synced " + syncedLog.length + ")";
    Map<String, float[]> recovered;
    try (ReferenceStore s = ReferenceStore.open(image, DIM, OPTIONS)) {
      recovered = s.contents();
      check(recovered, state);
    } catch (RuntimeException e) {
      violations.add(state + ": does not open: " + e);
      return;
    }
    if (seen.size() % REOPEN_EVERY == 0) {  // what recovery and the final snapshot left opens the same
      reopens++;
      try (ReferenceStore s = ReferenceStore.open(image, DIM, OPTIONS)) {
        Map<String, float[]> again = s.contents();
        if (!again.keySet().equals(recovered.keySet())
            || recovered.entrySet().stream().anyMatch(e -> !Arrays.equals(e.getValue(), again.get(e.getKey())))) {
          violations.add(state + ": reopened after recovery, holds " + again.keySet() + " instead of "
              + recovered.keySet());
        }
      } catch (RuntimeException e) {
        violations.add(state + ": does not open again after recovery: " + e);
      }
    }
  }

  private static long crc(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return crc.getValue();
  }

  /** Every acknowledged change is there; anything else is a change of the one in flight. */
  private void check(Map<String, float[]> got, String state) {
    Set<String> ids = new HashSet<>(acked.keySet());
    ids.addAll(inFlight.keySet());
    ids.addAll(got.keySet());
    for (String id : ids) {
      float[] have = got.get(id);
      boolean ok = Arrays.equals(have, acked.get(id))
          || inFlight.getOrDefault(id, List.of()).stream().anyMatch(v -> Arrays.equals(have, v));
      if (!ok) {
        violations.add(state + ": reference " + id + " is " + (have == null ? "missing" : Arrays.toString(have))
            + ", acknowledged " + (acked.containsKey(id) ? Arrays.toString(acked.get(id)) : "absent"));
      }
    }
  }
}
