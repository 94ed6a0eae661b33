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
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * One store at a time may open a folder: one process, and within it one open store.
 *
 * <p>An index that needs training (IVF, PQ: see {@link #trainingSize}) is trained once the store
 * holds enough references; until then they are searched exactly. Once a change cannot be written
 * to the log, or a logged change cannot reach the index, the store refuses further changes
 * ({@link #failure}; searches go on, and reopening replays the log).
 *
 * <p>Searches run concurrently; changes wait for them and for each other; snapshots copy the index
 * and write the copy while both go on. Each reference gets as internal index id the sequence
 * number of the log record that added it.
 */
public final class ReferenceStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReferenceStore.class);
  private static final int REPLAY_BATCH = 4096;
  /** Folders of the stores open in this JVM: closing any channel on a lock file drops the process's lock. */
  private static final Set<Path> OPEN_FOLDERS = ConcurrentHashMap.newKeySet();
  private static final long FIRST_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long LAST_RETRY_NANOS = TimeUnit.MINUTES.toNanos(10);
  private static final Pattern CLUSTERS = Pattern.compile("IVF(\\d{1,9})");
  private static final Pattern ID_MAP_OVER_IVF = Pattern.compile("(?i)IDMap2?,.*IVF.*");

  /**
   * How a store indexes its vectors.
   *
   * @param index {@code exact} for the project's exact kNN kernel (the default: one to a few
   *     queries scan the references once, unpacked, 5.2x faster than FAISS's IndexFlat for one
   *     query at 100 000 references), or a FAISS index_factory description that supports ids and
   *     removal, such as {@code IDMap2,Flat} or {@code IVF1024,Flat} (trained once the store holds
   *     {@link ReferenceStore#trainingSize} references; an IVF keeps ids itself, and an IDMap over
   *     one is refused: FAISS mixes up its ids on removal)
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
  private final Path folderKey;
  private final int dimension;
  private final Options options;
  private final StoreHooks hooks;
  private final FileChannel lockChannel;
  private final FileLock processLock;
  private final IndexLock lock;
  /** Held while a snapshot is copied and written: one at a time. */
  private final Object snapshotWriter = new Object();
  private final ExecutorService snapshotter = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "isc-store-snapshot");
    t.setDaemon(true);
    return t;
  });
  /** What searches read: the index of the options, or an exact one while that waits for training. */
  private VectorIndex index;
  /** The index of the options while it is not trained (null after). */
  private VectorIndex untrained;
  /** References at which training is tried next. */
  private long trainAt;
  private final Map<String, Long> internalIds = new HashMap<>();
  private final Map<Long, String> referenceIds = new LinkedHashMap<>();
  private ReferenceLog referenceLog;
  private long snapshotSequence;  // guarded by snapshotWriter once open
  private volatile String failure;
  private long changesSinceSnapshot;
  private boolean snapshotQueued;
  private long retryNanos;
  private long failedAt;
  private final AtomicBoolean closing = new AtomicBoolean();

  private ReferenceStore(Path dir, Path folderKey, int dimension, Options options, StoreHooks hooks,
      FileChannel lockChannel, FileLock processLock, VectorIndex loaded) {
    this.dir = dir;
    this.folderKey = folderKey;
    this.lock = new IndexLock("reference store " + dir);
    this.dimension = dimension;
    this.options = options;
    this.hooks = hooks;
    this.lockChannel = lockChannel;
    this.processLock = processLock;
    if (isExact(options) || loaded instanceof FaissIndex) {
      index = loaded != null ? loaded : new ExactIndex(dimension, options.metric());
      return;
    }
    VectorIndex target = createFaiss(dimension, options);
    if (target.isTrained() && loaded == null) {
      index = target;
    } else {  // searched exactly until trained (a snapshot taken then holds an exact index)
      untrained = target;
      index = loaded != null ? loaded : new ExactIndex(dimension, options.metric());
      trainAt = target.isTrained() ? 0 : trainingSize(options.index());
    }
  }

  /** Opens the store in a folder (created if missing) for descriptors of this dimension. */
  public static ReferenceStore open(Path dir, int dimension, Options options) {
    return open(dir, dimension, options, StoreHooks.NONE);
  }

  static ReferenceStore open(Path dir, int dimension, Options options, StoreHooks hooks) {
    if (dimension < 1) {
      throw new IllegalArgumentException("dimension must be >= 1, got " + dimension);
    }
    Path folderKey;
    try {
      Files.createDirectories(dir);
      folderKey = dir.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the reference store " + dir + ": " + e.getMessage(), e);
    }
    if (!OPEN_FOLDERS.add(folderKey)) {
      throw new IscException(IscException.Kind.UNAVAILABLE,
          "the reference store " + dir + " is already open in this process");
    }
    long t0 = System.nanoTime();
    FileChannel lockChannel = null;
    try {
      lockChannel = FileChannel.open(dir.resolve("store.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock processLock = lockChannel.tryLock();
      if (processLock == null) {
        throw new IscException(IscException.Kind.UNAVAILABLE,
            "the reference store " + dir + " is already open in another process");
      }
      Snapshot.Loaded snapshot = newestSnapshot(dir, dimension, options);
      ReferenceStore store;
      try {
        store = new ReferenceStore(dir, folderKey, dimension, options, hooks, lockChannel, processLock,
            snapshot != null ? snapshot.index() : null);
      } catch (RuntimeException e) {
        if (snapshot != null) {
          snapshot.index().close();
        }
        throw e;
      }
      long replayed;
      try {
        replayed = store.load(snapshot);
      } catch (RuntimeException e) {
        store.release();
        throw e;
      }
      log.info("reference store {}: {} references, opened in {} ms ({} log records replayed)", dir,
          store.referenceIds.size(), String.format(Locale.ROOT, "%.0f", (System.nanoTime() - t0) / 1e6), replayed);
      return store;
    } catch (IOException e) {
      closeChannel(lockChannel);
      OPEN_FOLDERS.remove(folderKey);
      throw new UncheckedIOException("cannot open the reference store " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeChannel(lockChannel);
      OPEN_FOLDERS.remove(folderKey);
      throw e;
    }
  }

  private static boolean isExact(Options options) {
    return options.index().equalsIgnoreCase("exact");
  }

  /**
   * A new FAISS index, refused at once unless it takes ids and removes vectors: the store needs
   * both, and finding out at the first change would be after the change is logged.
   */
  private static FaissIndex createFaiss(int dimension, Options options) {
    if (ID_MAP_OVER_IVF.matcher(options.index()).matches()) {
      throw new IscException(IscException.Kind.UNSUPPORTED, "index " + options.index() + ": FAISS's IDMap over an"
          + " IVF index mixes up ids when vectors are removed; give the IVF alone (such as IVF1024,Flat), which"
          + " keeps the ids itself");
    }
    FaissIndex index = FaissIndex.create(dimension, options.index(), options.metric());
    try {
      index.remove(new long[0]);
      if (index.isTrained()) {
        float[] probe = new float[dimension];
        probe[0] = 1;
        try (Tensor one = HostTensors.tensor(probe, 1, dimension)) {
          index.add(one, new long[] {1});
        }
        index.reset();
      }
      return index;
    } catch (IllegalArgumentException e) {
      index.close();
      throw new IscException(IscException.Kind.UNSUPPORTED, "a reference store needs an index that takes ids and"
          + " removes vectors, such as IDMap2,Flat or IVF1024,Flat; " + options.index() + " does not: "
          + e.getMessage(), e);
    }
  }

  /**
   * References a store holds before it trains an index that needs training: FAISS's advice of 39
   * training vectors per IVF cluster, and at least 39 x 256 (the codebooks of an 8-bit PQ).
   */
  static long trainingSize(String description) {
    long clusters = 256;
    Matcher m = CLUSTERS.matcher(description);
    while (m.find()) {
      clusters = Math.max(clusters, Long.parseLong(m.group(1)));
    }
    return 39 * clusters;
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

  /** Loads a snapshot (or none) and replays the log after it; the number of records replayed. */
  private long load(Snapshot.Loaded snapshot) {
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
    referenceLog = ReferenceLog.open(dir.resolve("references.log"), dimension, from, hooks, r -> {
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
    trainWhenDue();
    long last = referenceLog.nextSequence() - 1;
    if (snapshotSequence > last) {
      throw new IscException(IscException.Kind.CORRUPT_DATA,
          "reference store " + dir + ": the snapshot covers log record "
          + snapshotSequence + " but the log ends at " + last + "; the log was replaced or cut. Restore it, or"
          + " move the snapshots folder away to start from the log alone.");
    }
    changesSinceSnapshot = replayed[0];
    hooks.replayed(replayed[0]);
    return replayed[0];
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

  /**
   * Every reference held with its vector as the index holds it; for an index searched exactly
   * (the default, or one waiting for training), whose vectors are kept whole. Lets tests compare
   * memory with what a reopen of the folder reads.
   */
  Map<String, float[]> contents() {
    return lock.read(() -> {
      if (!(index instanceof ExactIndex exact)) {
        throw new UnsupportedOperationException("a " + options.index() + " index does not keep its vectors whole");
      }
      long[] ids = exact.ids();
      float[][] rows;
      try (Tensor vectors = exact.vectors()) {
        rows = HostTensors.toRows(vectors);
      }
      Map<String, float[]> out = new HashMap<>();
      for (int i = 0; i < ids.length; i++) {
        out.put(referenceIds.get(ids[i]), rows[i]);
      }
      return out;
    });
  }

  /** Adds a reference (replacing one with the same id) durably. */
  public void add(String id, float[] vector) {
    add(List.of(new Reference(id, vector)));
  }

  /**
   * Adds references with one log write and sync (replacing any with the same ids).
   *
   * @throws IscException UNAVAILABLE once the store accepts no changes ({@link #failure})
   */
  public void add(List<Reference> references) {
    if (references.isEmpty()) {
      return;
    }
    List<ReferenceLog.Record> records = new ArrayList<>(references.size());
    for (Reference r : references) {
      records.add(new ReferenceLog.Record(0, true, r.id(), r.vector()));
    }
    lock.write(() -> {
      long[] sequences = writeLog(() -> referenceLog.append(records));  // validates, then writes and syncs
      List<ReferenceLog.Record> applied = new ArrayList<>(records.size());
      for (int i = 0; i < records.size(); i++) {
        applied.add(new ReferenceLog.Record(sequences[i], true, records.get(i).id(), records.get(i).vector()));
      }
      applyLogged(() -> applyAdds(applied));
      changed(records.size());
      return null;
    });
  }

  /** Removes a reference durably; false when none has this id (nothing is logged then). */
  public boolean remove(String id) {
    ReferenceLog.checkId(id);
    return lock.write(() -> {
      requireWritable();
      if (!internalIds.containsKey(id)) {
        return false;
      }
      writeLog(() -> referenceLog.appendRemove(id));
      applyLogged(() -> applyRemove(id));
      changed(1);
      return true;
    });
  }

  /**
   * Why the store accepts no more changes (a log write or sync failed, or a logged change could
   * not reach the index), or empty while it does.
   */
  public Optional<String> failure() {
    return Optional.ofNullable(failure);
  }

  private void requireWritable() {
    String why = failure;
    if (why != null) {
      throw new IscException(IscException.Kind.UNAVAILABLE, "the reference store " + dir + " accepts no changes: "
          + why + " (searches go on; reopening it replays the log)");
    }
  }

  /** Runs an append to the log; a failed write or sync stops all changes. */
  private <T> T writeLog(Supplier<T> append) {
    requireWritable();
    try {
      hooks.beforeLogWrite();
      return append.get();
    } catch (IOException e) {
      throw stop("cannot write the reference log", e);
    } catch (UncheckedIOException e) {
      throw stop("cannot write the reference log", e.getCause());
    }
  }

  /** Applies a logged change: if that fails, memory and log may differ, so no change follows. */
  private void applyLogged(Runnable apply) {
    try {
      hooks.afterLogWrite();
      apply.run();
    } catch (RuntimeException e) {
      throw stop("a logged change could not reach the index", e);
    }
  }

  private IscException stop(String what, Exception cause) {
    failure = what + ": " + cause.getMessage();
    log.error("reference store {}: {}; it accepts no more changes (searches go on; reopening replays the log)",
        dir, failure);
    return new IscException(IscException.Kind.UNAVAILABLE, "the reference store " + dir + " accepts no changes: "
        + failure, cause);
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

  /** What a snapshot writes: a copy taken under the lock, written outside it. */
  private record Copy(long sequence, long changes, VectorIndex index, Map<Long, String> ids) {}

  /**
   * Writes a snapshot now: copies the index under the lock (changes in progress finish first),
   * then writes and syncs the copy while searches and changes go on.
   */
  public void snapshot() {
    synchronized (snapshotWriter) {
      Copy copy = lock.read(() -> {
        requireWritable();  // memory may differ from the log: only the log is to be trusted
        long sequence = referenceLog.nextSequence() - 1;
        if (sequence == snapshotSequence) {
          return null;
        }
        return new Copy(sequence, changes(0), index.copy(), new LinkedHashMap<>(referenceIds));
      });
      if (copy == null) {
        return;
      }
      try (VectorIndex copied = copy.index()) {
        long t0 = System.nanoTime();
        hooks.beforeSnapshotWrite();
        Snapshot.write(dir.resolve("snapshots"), new Snapshot.Manifest(copy.sequence(), dimension,
            options.metric().name(), options.index(), Map.of()), copied, copy.ids(), hooks);
        log.info("reference store {}: snapshot at log record {} ({} references, {} ms)", dir, copy.sequence(),
            copy.ids().size(), String.format(Locale.ROOT, "%.0f", (System.nanoTime() - t0) / 1e6));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write a snapshot of " + dir + ": " + e.getMessage(), e);
      }
      snapshotSequence = copy.sequence();
      changes(-copy.changes());
      lock.read(() -> {  // changes wait while the log is rewritten
        compactLog();
        return null;
      });
    }
  }

  /** Whether no background snapshot is queued or running. */
  synchronized boolean snapshotIdle() {
    return !snapshotQueued;
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
    trainWhenDue();
  }

  private void trainWhenDue() {
    if (untrained != null && index.size() >= trainAt) {
      train();
    }
  }

  /**
   * Trains the index of the options on the references searched exactly so far and moves them
   * into it. If FAISS refuses, they stay searched exactly, and it is tried again at twice as many.
   */
  private void train() {
    ExactIndex staged = (ExactIndex) index;
    try (Tensor vectors = staged.vectors()) {
      untrained.train(vectors);
      untrained.add(vectors, staged.ids());
    } catch (RuntimeException e) {
      trainAt = 2 * staged.size();
      log.warn("reference store {}: cannot train {} on {} references ({}); searching them exactly, trying again"
          + " at {}", dir, options.index(), staged.size(), e.getMessage(), trainAt);
      try {
        untrained.reset();
      } catch (RuntimeException ignored) {
        // its vectors are never searched
      }
      return;
    }
    log.info("reference store {}: trained {} on {} references", dir, options.index(), staged.size());
    index = untrained;
    untrained = null;
    staged.close();
  }

  private void applyRemove(String id) {
    Long internal = internalIds.remove(id);
    if (internal != null) {
      index.remove(new long[] {internal});
      referenceIds.remove(internal);
    }
  }

  private synchronized long changes(long delta) {
    changesSinceSnapshot += delta;
    return changesSinceSnapshot;
  }

  private synchronized void changed(long n) {
    changesSinceSnapshot += n;
    boolean due = options.snapshotEvery() > 0 && changesSinceSnapshot >= options.snapshotEvery();
    boolean pausing = retryNanos > 0 && hooks.nanoTime() - failedAt < retryNanos;
    if (due && !snapshotQueued && !pausing) {
      snapshotQueued = true;
      snapshotter.execute(this::backgroundSnapshot);
    }
  }

  /** A failed one is retried after 1 s, then pauses twice as long each time, up to 10 min; logged once. */
  private void backgroundSnapshot() {
    try {
      snapshot();
      synchronized (this) {
        if (retryNanos > 0) {
          log.info("reference store {}: background snapshots work again", dir);
        }
        retryNanos = 0;
      }
    } catch (RuntimeException e) {
      synchronized (this) {
        if (retryNanos == 0) {
          log.error("reference store {}: background snapshot failed (the log still holds every change); retrying"
              + " with growing pauses: {}", dir, e.getMessage());
        }
        retryNanos = retryNanos == 0 ? FIRST_RETRY_NANOS : Math.min(2 * retryNanos, LAST_RETRY_NANOS);
        failedAt = hooks.nanoTime();
      }
    } finally {
      synchronized (this) {
        snapshotQueued = false;
      }
    }
  }

  /**
   * Waits for a background snapshot, writes a final one if anything changed, and closes the log.
   *
   * @throws UncheckedIOException when the log's last sync fails (after everything is released)
   */
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
      if (failure != null) {
        log.warn("reference store {}: no final snapshot, it stopped accepting changes ({})", dir, failure);
      } else if (changes(0) > 0) {
        snapshot();
      }
    } catch (RuntimeException e) {
      log.error("reference store {}: final snapshot failed (the log holds every change): {}", dir, e.getMessage());
    }
    lock.close(this::release);
  }

  /**
   * Frees the index, closes the log and lets other processes open the folder; a failure to close
   * the log is reported after all of that, so the folder can still be opened again.
   */
  private void release() {
    snapshotter.shutdownNow();
    try {
      if (referenceLog != null) {
        referenceLog.close();
      }
    } finally {
      releaseRest();
    }
  }

  private void releaseRest() {
    index.close();
    if (untrained != null) {
      untrained.close();
    }
    try {
      processLock.release();
    } catch (IOException e) {
      log.debug("releasing {}: {}", dir, e.getMessage());
    }
    closeChannel(lockChannel);
    OPEN_FOLDERS.remove(folderKey);
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
