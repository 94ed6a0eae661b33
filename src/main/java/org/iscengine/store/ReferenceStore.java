package org.iscengine.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.errors.IscException;
import org.iscengine.kernels.HostTensors;
import org.iscengine.kernels.Metric;
import org.iscengine.search.ExactIndex;
import org.iscengine.search.FaissIndex;
import org.iscengine.search.IndexLock;
import org.iscengine.search.Neighbors;
import org.iscengine.search.VectorIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable set of reference descriptors a service matches against: a {@link VectorIndex} in
 * memory, the {@link ReferenceLog} on disk as its source of truth, and {@link Snapshot}s that
 * make start-up fast.
 *
 * <p>Every {@link #add}/{@link #remove} is in the log, synced, before it returns. Opening loads
 * the newest snapshot that verifies (a damaged one is reported and skipped; with none, the index
 * is rebuilt from the log) and replays the log records after it. A snapshot compacts the log once
 * many of its records are superseded: it keeps every record after the oldest snapshot kept and,
 * before it, the adds of the references held, so any snapshot can still be rebuilt from the log.
 * One process at a time may open a store folder.
 *
 * <p>Searches run concurrently; changes wait for them and for each other. Each reference gets as
 * internal index id the sequence number of the log record that added it.
 */
public final class ReferenceStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReferenceStore.class);
  private static final int REPLAY_BATCH = 4096;

  /**
   * How a store indexes its vectors.
   *
   * @param index {@code exact} for the project's exact kNN kernel (the default: one to a few
   *     queries scan the references once, unpacked, 5.2x faster than FAISS's IndexFlat for one
   *     query at 100 000 references), or a FAISS index_factory description that supports ids and
   *     removal, such as {@code IDMap2,Flat} or {@code IDMap2,IVF1024,Flat}
   * @param metric inner product (descriptors) or L2
   * @param snapshotEvery changes between background snapshots (0: only at close and on demand)
   */
  public record Options(String index, Metric metric, long snapshotEvery) {
    public Options {
      if (index == null || index.isBlank()) {
        throw new IllegalArgumentException("index description is empty");
      }
      if (snapshotEvery < 0) {
        throw new IllegalArgumentException("snapshotEvery must be >= 0, got " + snapshotEvery);
      }
    }

    public static Options defaults() {
      return new Options("exact", Metric.INNER_PRODUCT, 50_000);
    }
  }

  /** A reference to add: its id and descriptor. */
  public record Reference(String id, float[] vector) {}

  /** A search result: a reference id and its score (inner product, or squared L2 distance). */
  public record Hit(String id, float score) {}

  private final Path dir;
  private final int dimension;
  private final Options options;
  private final FileChannel lockChannel;
  private final FileLock processLock;
  private final IndexLock lock;
  private final ExecutorService snapshotter = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "isc-store-snapshot");
    t.setDaemon(true);
    return t;
  });
  private final VectorIndex index;
  private final Map<String, Long> internalIds = new HashMap<>();
  private final Map<Long, String> referenceIds = new LinkedHashMap<>();
  private ReferenceLog referenceLog;
  private long snapshotSequence;
  private long changesSinceSnapshot;
  private boolean snapshotQueued;
  private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();

  private ReferenceStore(Path dir, int dimension, Options options, FileChannel lockChannel, FileLock processLock,
      VectorIndex index) {
    this.dir = dir;
    this.lock = new IndexLock("reference store " + dir);
    this.dimension = dimension;
    this.options = options;
    this.lockChannel = lockChannel;
    this.processLock = processLock;
    this.index = index;
  }

  /** Opens the store in a folder (created if missing) for descriptors of this dimension. */
  public static ReferenceStore open(Path dir, int dimension, Options options) {
    if (dimension < 1) {
      throw new IllegalArgumentException("dimension must be >= 1, got " + dimension);
    }
    FileChannel lockChannel = null;
    try {
      Files.createDirectories(dir);
      lockChannel = FileChannel.open(dir.resolve("store.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock processLock;
      try {
        processLock = lockChannel.tryLock();
      } catch (java.nio.channels.OverlappingFileLockException e) {
        processLock = null;
      }
      if (processLock == null) {
        throw new IscException(IscException.Kind.UNAVAILABLE,
            "the reference store " + dir + " is already open (in this process or another)");
      }
      Snapshot.Loaded snapshot = newestSnapshot(dir, dimension, options);
      VectorIndex index = snapshot != null ? snapshot.index() : createIndex(dimension, options);
      ReferenceStore store = new ReferenceStore(dir, dimension, options, lockChannel, processLock, index);
      try {
        store.load(snapshot);
      } catch (RuntimeException e) {
        store.release();
        throw e;
      }
      return store;
    } catch (IOException e) {
      closeChannel(lockChannel);
      throw new UncheckedIOException("cannot open the reference store " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeChannel(lockChannel);
      throw e;
    }
  }

  private static VectorIndex createIndex(int dimension, Options options) {
    return options.index().equalsIgnoreCase("exact") ? new ExactIndex(dimension, options.metric())
        : FaissIndex.create(dimension, options.index(), options.metric());
  }

  private static Snapshot.Manifest shape(int dimension, Options options) {
    return new Snapshot.Manifest(0, dimension, options.metric().name(), options.index(), Map.of());
  }

  private static Snapshot.Loaded newestSnapshot(Path dir, int dimension, Options options) throws IOException {
    for (Path folder : Snapshot.list(dir.resolve("snapshots"))) {
      try {
        Snapshot.Loaded loaded = Snapshot.read(folder, shape(dimension, options));
        log.info("reference store {}: snapshot {} ({} references)", dir, folder.getFileName(), loaded.ids().size());
        return loaded;
      } catch (RuntimeException | IOException e) {  // whatever is wrong with it, the log can rebuild it
        log.warn("reference store {}: snapshot {} is damaged ({}); using an older one or the log", dir,
            folder.getFileName(), e.getMessage());
      }
    }
    return null;
  }

  private void load(Snapshot.Loaded snapshot) {
    if (snapshot != null) {
      snapshotSequence = snapshot.sequence();
      snapshot.ids().forEach((internal, id) -> {
        internalIds.put(id, internal);
        referenceIds.put(internal, id);
      });
    }
    long from = snapshotSequence;
    List<ReferenceLog.Record> pending = new ArrayList<>();
    long[] replayed = {0};
    referenceLog = ReferenceLog.open(dir.resolve("references.log"), dimension, from, r -> {
      replayed[0]++;
      if (r.add()) {
        pending.add(r);
        if (pending.size() >= REPLAY_BATCH) {
          applyAdds(pending);
          pending.clear();
        }
      } else {
        applyAdds(pending);
        pending.clear();
        applyRemove(r.id());
      }
    });
    applyAdds(pending);
    long last = referenceLog.nextSequence() - 1;
    if (snapshotSequence > last) {
      throw new IscException(IscException.Kind.CORRUPT_DATA,
          "reference store " + dir + ": the snapshot covers log record "
          + snapshotSequence + " but the log ends at " + last + "; the log was replaced or cut. Restore it, or"
          + " move the snapshots folder away to start from the log alone.");
    }
    changesSinceSnapshot = replayed[0];
    log.info("reference store {}: {} references ({} log records replayed)", dir, referenceIds.size(), replayed[0]);
  }

  public int dimension() {
    return dimension;
  }

  /** Number of references held. */
  public long size() {
    return lock.read(referenceIds::size);
  }

  public boolean contains(String id) {
    return lock.read(() -> internalIds.containsKey(id));
  }

  /** Adds a reference (replacing one with the same id) durably. */
  public void add(String id, float[] vector) {
    add(List.of(new Reference(id, vector)));
  }

  /** Adds references with one log write and sync (replacing any with the same ids). */
  public void add(List<Reference> references) {
    if (references.isEmpty()) {
      return;
    }
    List<ReferenceLog.Record> records = new ArrayList<>(references.size());
    for (Reference r : references) {
      records.add(new ReferenceLog.Record(0, true, r.id(), r.vector()));
    }
    lock.write(() -> {
      long[] sequences = referenceLog.append(records);  // validates ids and vectors before writing
      List<ReferenceLog.Record> applied = new ArrayList<>(records.size());
      for (int i = 0; i < records.size(); i++) {
        applied.add(new ReferenceLog.Record(sequences[i], true, records.get(i).id(), records.get(i).vector()));
      }
      applyAdds(applied);
      changed(records.size());
      return null;
    });
  }

  /** Removes a reference durably; false when none has this id (nothing is logged then). */
  public boolean remove(String id) {
    ReferenceLog.checkId(id);
    return lock.write(() -> {
      if (!internalIds.containsKey(id)) {
        return false;
      }
      referenceLog.appendRemove(id);
      applyRemove(id);
      changed(1);
      return true;
    });
  }

  /** The k best references of each query row ([n, dimension] float32), best first. */
  public List<List<Hit>> search(Tensor queries, int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1, got " + k);
    }
    return lock.read(() -> {
      int n = (int) queries.size(0);
      List<List<Hit>> out = new ArrayList<>(n);
      int kk = (int) Math.min(k, referenceIds.size());
      if (kk == 0) {
        for (int q = 0; q < n; q++) {
          out.add(List.of());
        }
        return out;
      }
      Neighbors nn = index.search(queries, kk);
      for (int q = 0; q < n; q++) {
        List<Hit> hits = new ArrayList<>(kk);
        for (int r = 0; r < kk; r++) {
          String id = referenceIds.get(nn.id(q, r));
          if (id != null) {
            hits.add(new Hit(id, nn.score(q, r)));
          }
        }
        out.add(hits);
      }
      return out;
    });
  }

  /** Writes a snapshot now (waits for changes in progress). */
  public void snapshot() {
    lock.read(() -> {
      long sequence = referenceLog.nextSequence() - 1;
      if (sequence == snapshotSequence) {
        return null;
      }
      try {
        long t0 = System.nanoTime();
        Snapshot.write(dir.resolve("snapshots"), new Snapshot.Manifest(sequence, dimension,
            options.metric().name(), options.index(), Map.of()), index, referenceIds);
        log.info("reference store {}: snapshot at log record {} ({} references, {} ms)", dir, sequence,
            referenceIds.size(), String.format(Locale.ROOT, "%.0f", (System.nanoTime() - t0) / 1e6));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write a snapshot of " + dir + ": " + e.getMessage(), e);
      }
      synchronized (this) {
        snapshotSequence = sequence;
        changesSinceSnapshot = 0;
      }
      compactLog();
      return null;
    });
  }

  /**
   * Once a quarter of the log's records are removes and replaced or removed adds, rewrites it
   * without those the oldest snapshot kept covers: that snapshot, a newer one, or the log alone
   * still replay to the same references. Runs with changes held off.
   */
  private void compactLog() {
    long records = referenceLog.records();
    if ((records - referenceIds.size()) * 4 < records || records == 0) {
      return;
    }
    try {
      List<Path> kept = Snapshot.list(dir.resolve("snapshots"));
      if (kept.isEmpty()) {
        return;
      }
      long through = Snapshot.sequence(kept.get(kept.size() - 1));
      referenceLog.compact(through, referenceIds::containsKey);
      log.info("reference store {}: log compacted through record {} ({} of {} records kept)", dir, through,
          referenceLog.records(), records);
    } catch (IOException | RuntimeException e) {
      log.error("reference store {}: compacting the log failed (it still holds every change): {}", dir,
          e.getMessage());
    }
  }

  private void applyAdds(List<ReferenceLog.Record> adds) {
    if (adds.isEmpty()) {
      return;
    }
    List<Long> replaced = new ArrayList<>();
    for (ReferenceLog.Record r : adds) {
      Long old = internalIds.get(r.id());
      if (old != null) {
        replaced.add(old);
      }
    }
    if (!replaced.isEmpty()) {
      index.remove(replaced.stream().mapToLong(Long::longValue).toArray());
      replaced.forEach(referenceIds::remove);
    }
    // Within one batch a later add of the same id wins: only it reaches the index.
    Map<String, ReferenceLog.Record> last = new LinkedHashMap<>();
    adds.forEach(r -> last.put(r.id(), r));
    long[] ids = new long[last.size()];
    List<float[]> rows = new ArrayList<>(last.size());
    int n = 0;
    for (ReferenceLog.Record r : last.values()) {
      rows.add(r.vector());
      ids[n++] = r.sequence();
    }
    try (Tensor vectors = HostTensors.stack(rows, dimension)) {
      index.add(vectors, ids);
    }
    int i = 0;
    for (ReferenceLog.Record r : last.values()) {
      internalIds.put(r.id(), ids[i]);
      referenceIds.put(ids[i++], r.id());
    }
  }

  private void applyRemove(String id) {
    Long internal = internalIds.remove(id);
    if (internal != null) {
      index.remove(new long[] {internal});
      referenceIds.remove(internal);
    }
  }

  private synchronized void changed(long n) {
    changesSinceSnapshot += n;
    if (options.snapshotEvery() > 0 && changesSinceSnapshot >= options.snapshotEvery() && !snapshotQueued) {
      snapshotQueued = true;
      snapshotter.execute(() -> {
        try {
          snapshot();
        } catch (RuntimeException e) {
          log.error("reference store {}: background snapshot failed (the log still holds every change): {}", dir,
              e.getMessage());
        } finally {
          synchronized (this) {
            snapshotQueued = false;
          }
        }
      });
    }
  }

  /** Waits for a background snapshot, writes a final one if anything changed, and closes the log. */
  @Override
  public void close() {
    if (closing.getAndSet(true)) {
      return;
    }
    snapshotter.shutdown();
    try {
      snapshotter.awaitTermination(10, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      if (changesSinceSnapshot > 0) {
        snapshot();
      }
    } catch (RuntimeException e) {
      log.error("reference store {}: final snapshot failed (the log holds every change): {}", dir, e.getMessage());
    }
    lock.close(this::release);
  }

  /** Frees the index, closes the log and lets other processes open the folder. */
  private void release() {
    snapshotter.shutdownNow();
    if (referenceLog != null) {
      referenceLog.close();
    }
    index.close();
    try {
      processLock.release();
    } catch (IOException e) {
      log.debug("releasing {}: {}", dir, e.getMessage());
    }
    closeChannel(lockChannel);
  }

  private static void closeChannel(FileChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // nothing was written through it
      }
    }
  }
}
