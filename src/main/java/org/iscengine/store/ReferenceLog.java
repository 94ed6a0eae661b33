package org.iscengine.store;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import java.util.zip.CRC32C;
import org.iscengine.io.AtomicFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only, checksummed log of reference changes: the store's source of truth. Every
 * record is on disk ({@code fsync}) before {@link #append} returns, so an acknowledged change
 * survives a crash of the process or of the machine.
 *
 * <p>Layout (little-endian), version 2: a {@value #HEADER}-byte header (magic {@code ISCRLOG2},
 * dimension int, compacted-through sequence long, sealed length long, CRC-32C of the first 28
 * bytes), then records {@code [payload length int][CRC-32C of the length's 4 bytes and the payload
 * int][payload]} with payload {@code [sequence long][sequence of the first record of the same
 * append long][op byte][id length short][id UTF-8][dimension floats, adds only]}. Sequence numbers
 * rise by one per record after the compacted-through sequence; below it only the adds of
 * references still held are left ({@link #compact}). The first {@code sealed length} bytes were
 * written whole and synced before the file was renamed into place. Version 1 ({@code ISCRLOG1}, a
 * 16-byte header without the two longs, records whose checksum covers the payload only and whose
 * payload lacks the append's first sequence) is read and rewritten as version 2 on open.
 *
 * <p>Opening checks every record. The bytes after the last good record are a write torn by a
 * crash (never acknowledged) when no checksummed record of a later append follows them: they are
 * kept aside in {@code <log>.torn-<offset>} and the log is cut there. A power cut can leave a torn
 * append as zeros, or with a later page of it on disk and an earlier one not: records of that
 * same append after the damage are part of the torn write. Damage followed by a record of a later
 * append, or inside the sealed part, means acknowledged records were damaged: opening refuses,
 * naming the offset, rather than drop them.
 */
public final class ReferenceLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReferenceLog.class);
  private static final byte[] MAGIC_V1 = "ISCRLOG1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MAGIC = "ISCRLOG2".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER_V1 = 16;
  static final int HEADER = 32;
  /** Record head: payload length and checksum. */
  private static final int HEAD = 8;
  /** Longest id in UTF-8 bytes. */
  public static final int MAX_ID_BYTES = 1024;

  /** One change: an add (with its vector) or a remove. */
  public record Record(long sequence, boolean add, String id, float[] vector) {}

  private final Path file;
  private final int dimension;
  private final StoreHooks hooks;
  private FileChannel channel;
  private long compactedThrough;
  private long nextSequence;
  private long records;

  private ReferenceLog(Path file, int dimension, StoreHooks hooks, FileChannel channel, long compactedThrough,
      long nextSequence, long records) {
    this.file = file;
    this.dimension = dimension;
    this.hooks = hooks;
    this.channel = channel;
    this.compactedThrough = compactedThrough;
    this.nextSequence = nextSequence;
    this.records = records;
  }

  /** Opens (or creates) a log and replays every record: {@link #open(Path, int, long, Consumer)} from 0. */
  public static ReferenceLog open(Path file, int dimension, Consumer<Record> replay) {
    return open(file, dimension, 0, replay);
  }

  /**
   * Opens (or creates) a log, hands the records after sequence {@code replayAfter} to {@code
   * replay} in order (earlier ones are checked but not decoded), and leaves the log ready for
   * appends.
   *
   * @throws LogCorruptedException when acknowledged records are damaged, or the header is
   */
  public static ReferenceLog open(Path file, int dimension, long replayAfter, Consumer<Record> replay) {
    return open(file, dimension, replayAfter, StoreHooks.NONE, replay);
  }

  static ReferenceLog open(Path file, int dimension, long replayAfter, StoreHooks hooks, Consumer<Record> replay) {
    try {
      AtomicFile.removeLeftovers(file);  // of a rewrite the process died in
      Header header = readHeader(file);
      if (header == null) {
        create(file, dimension, hooks);
        header = readHeader(file);
      }
      if (header.dimension() != dimension) {
        throw new IllegalArgumentException(file + " holds " + header.dimension() + "-d descriptors, but the model"
            + " gives " + dimension + "-d: use another store folder for this model");
      }
      FileChannel channel = open(hooks, file, StandardOpenOption.READ, StandardOpenOption.WRITE);
      try {
        Reader reader = new Reader(file, channel, header.version(), dimension);
        long[] last = {0};
        long[] count = {0};
        long end = reader.scan(header, r -> {
          last[0] = r.sequence();
          count[0]++;
          if (r.sequence() > replayAfter) {
            replay.accept(reader.decode(r));
          }
        });
        if (end < channel.size()) {
          keepTornTail(file, channel, end);
          channel.truncate(end);
          channel.force(true);
        }
        long next = Math.max(last[0], header.compactedThrough()) + 1;
        ReferenceLog opened = new ReferenceLog(file, dimension, hooks, channel, header.compactedThrough(), next,
            count[0]);
        if (header.version() == 1) {
          opened.rewrite(header, end, header.compactedThrough(), s -> true);
          log.info("{}: rewritten in the current log format", file);
        }
        opened.channel.position(opened.channel.size());
        return opened;
      } catch (RuntimeException | IOException e) {
        channel.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the reference log " + file + ": " + e.getMessage(), e);
    }
  }

  public int dimension() {
    return dimension;
  }

  /** The sequence number the next record gets. */
  public synchronized long nextSequence() {
    return nextSequence;
  }

  /** Records in the log. */
  public synchronized long records() {
    return records;
  }

  /** Appends a remove. Returns its sequence number once it is on disk. */
  public long appendRemove(String id) {
    return append(List.of(new Record(0, false, id, null)))[0];
  }

  /**
   * Appends records (their sequence fields are ignored) with one write and one {@code fsync}, and
   * returns the sequence numbers they got. On an I/O error the log is cut back to where it was,
   * so that no half-written change follows.
   */
  public synchronized long[] append(List<Record> records) {
    if (!channel.isOpen()) {
      throw new IllegalStateException("the reference log " + file + " is closed");
    }
    List<byte[]> encoded = new ArrayList<>(records.size());
    int total = 0;
    for (int i = 0; i < records.size(); i++) {
      byte[] payload = encode(records.get(i), nextSequence + i, nextSequence);
      encoded.add(payload);
      total += HEAD + payload.length;
    }
    ByteBuffer out = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    for (byte[] payload : encoded) {
      putRecord(out, payload, 0, payload.length);
    }
    out.flip();
    long start;
    try {
      start = channel.size();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + file + ": " + e.getMessage(), e);
    }
    try {
      writeFully(channel, out, start);
      channel.force(false);
    } catch (IOException e) {
      try {
        channel.truncate(start);
      } catch (IOException ignored) {
        // the torn tail is cut at the next open
      }
      throw new UncheckedIOException("cannot append to " + file + ": " + e.getMessage(), e);
    }
    long[] sequences = new long[records.size()];
    for (int i = 0; i < sequences.length; i++) {
      sequences[i] = nextSequence++;
    }
    this.records += records.size();
    return sequences;
  }

  /**
   * Rewrites the log, atomically, without the records up to sequence {@code through} other than
   * those {@code keep} accepts (the adds of the references still held). Every record after
   * {@code through} stays, so a snapshot at or after it, or none, still replays to the same store.
   */
  public synchronized void compact(long through, LongPredicate keep) {
    if (!channel.isOpen()) {
      throw new IllegalStateException("the reference log " + file + " is closed");
    }
    try {
      Header header = readHeader(file);
      rewrite(header, channel.size(), Math.max(through, compactedThrough), keep);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot compact " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes the records of this log's first {@code end} bytes that are after {@code through} or
   * accepted by {@code keep} to a new version-2 log, which replaces this one.
   */
  private void rewrite(Header header, long end, long through, LongPredicate keep) throws IOException {
    Reader reader = new Reader(file, channel, header.version(), dimension);
    long[] kept = {0};
    AtomicFile.write(file, temporary -> {
      try (FileChannel out = open(hooks, temporary, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        long[] position = {HEADER};
        for (long offset = header.length(); offset < end; ) {
          Raw r = reader.read(offset, end);
          if (r == null) {
            throw new LogCorruptedException(file + ": the record at byte " + offset + " changed while the log was"
                + " rewritten (" + reader.problem + ")");
          }
          if (r.sequence() > through || keep.test(r.sequence())) {
            if (buffer.remaining() < r.size() + 8) {
              buffer.flip();
              writeFully(out, buffer, position[0]);
              position[0] += buffer.limit();
              buffer.clear();
            }
            reader.copyAsCurrent(r, buffer);
            kept[0]++;
          }
          offset += r.size();
        }
        buffer.flip();
        writeFully(out, buffer, position[0]);
        position[0] += buffer.limit();
        writeFully(out, header(dimension, through, position[0]), 0);
      }
    });
    FileChannel old = channel;
    channel = open(hooks, file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    channel.position(channel.size());
    old.close();
    compactedThrough = through;
    records = kept[0];
  }

  /** Checks an id: non-empty, at most {@value #MAX_ID_BYTES} UTF-8 bytes, no control characters. */
  public static void checkId(String id) {
    if (id == null || id.isEmpty()) {
      throw new IllegalArgumentException("reference id is empty");
    }
    if (id.getBytes(StandardCharsets.UTF_8).length > MAX_ID_BYTES) {
      throw new IllegalArgumentException("reference id is longer than " + MAX_ID_BYTES + " bytes");
    }
    if (id.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("reference id contains control characters");
    }
  }

  private byte[] encode(Record r, long sequence, long appendFirst) {
    checkId(r.id());
    byte[] id = r.id().getBytes(StandardCharsets.UTF_8);
    if (r.add()) {
      if (r.vector() == null || r.vector().length != dimension) {
        throw new IllegalArgumentException("reference " + r.id() + ": descriptor has " + (r.vector() == null ? 0
            : r.vector().length) + " values, the store holds " + dimension);
      }
      for (float v : r.vector()) {
        if (!Float.isFinite(v)) {
          throw new IllegalArgumentException("reference " + r.id() + ": descriptor has a non-finite value");
        }
      }
    }
    ByteBuffer b = ByteBuffer.allocate(8 + 8 + 1 + 2 + id.length + (r.add() ? 4 * dimension : 0))
        .order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(sequence).putLong(appendFirst).put((byte) (r.add() ? 1 : 2)).putShort((short) id.length).put(id);
    if (r.add()) {
      for (float v : r.vector()) {
        b.putFloat(v);
      }
    }
    return b.array();
  }

  /** Puts a version-2 record: the head (length, checksum of length and payload) and the payload. */
  private static void putRecord(ByteBuffer out, byte[] payload, int offset, int length) {
    CRC32C c = new CRC32C();
    c.update(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, length));
    c.update(payload, offset, length);
    out.putInt(length).putInt((int) c.getValue()).put(payload, offset, length);
  }

  /** What the header says: format version, dimension, compacted-through sequence, sealed length. */
  private record Header(int version, int dimension, long compactedThrough, long sealed) {
    int length() {
      return version == 1 ? HEADER_V1 : HEADER;
    }
  }

  private static ByteBuffer header(int dimension, long compactedThrough, long sealed) {
    ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    header.put(MAGIC).putInt(dimension).putLong(compactedThrough).putLong(sealed);
    header.putInt(crc(header.array(), 0, HEADER - 4)).flip();
    return header;
  }

  /** Creates an empty log: header written to a temporary file, synced, renamed into place. */
  private static void create(Path file, int dimension, StoreHooks hooks) throws IOException {
    if (Files.exists(file)) {
      log.warn("{}: {} bytes without a valid header, left by a crash while the log was created; starting it"
          + " afresh", file, Files.size(file));
    }
    AtomicFile.write(file, temporary -> {
      try (FileChannel out = open(hooks, temporary, StandardOpenOption.WRITE)) {
        writeFully(out, header(dimension, 0, HEADER), 0);
      }
    });
  }

  /**
   * Reads the header; null when there is no log yet, or a file no longer than a header without a
   * valid one (a crash while creating the log: no record can be in it).
   */
  private static Header readHeader(Path file) throws IOException {
    if (!Files.exists(file)) {
      return null;
    }
    byte[] bytes;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate((int) Math.min(HEADER, channel.size()));
      readFully(channel, b, 0);
      bytes = b.array();
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = Arrays.copyOf(bytes, Math.min(8, bytes.length));
    if (Arrays.equals(magic, MAGIC) && bytes.length == HEADER && b.getInt(HEADER - 4) == crc(bytes, 0, HEADER - 4)) {
      return new Header(2, b.getInt(8), b.getLong(12), b.getLong(20));
    }
    if (Arrays.equals(magic, MAGIC_V1) && bytes.length >= HEADER_V1 && b.getInt(12) == crc(bytes, 0, 12)) {
      return new Header(1, b.getInt(8), 0, 0);
    }
    if (Files.size(file) <= HEADER) {
      return null;
    }
    throw new LogCorruptedException(file + " is not a reference log (bad header)");
  }

  /** A record found in the file: where it starts, its size on disk, and its sequence numbers. */
  private record Raw(long offset, int size, long sequence, long appendFirst) {}

  /** Reads records of one format version through a large window that slides forward. */
  private static final class Reader {
    private final Path file;
    private final FileChannel channel;
    private final int version;
    private final int dimension;
    private final int fixed;
    private final int maxPayload;
    private final ByteBuffer window;
    private long windowStart;
    /** Why the last {@link #read} found no record. */
    String problem;

    Reader(Path file, FileChannel channel, int version, int dimension) {
      this.file = file;
      this.channel = channel;
      this.version = version;
      this.dimension = dimension;
      this.fixed = version == 1 ? 11 : 19;
      this.maxPayload = fixed + MAX_ID_BYTES + 4 * dimension;
      this.window = ByteBuffer.allocate(Math.max(1 << 22, 2 * (HEAD + maxPayload))).order(ByteOrder.LITTLE_ENDIAN);
      this.window.limit(0);
    }

    /** Brings the bytes [position, position + length) into the window; returns where they start in it. */
    private int at(long position, int length) throws IOException {
      if (position < windowStart || position + length > windowStart + window.limit()) {
        long left = channel.size() - position;
        window.clear().limit((int) Math.min(window.capacity(), left));
        windowStart = position;
        for (long p = position; window.hasRemaining(); ) {
          int n = channel.read(window, p);
          if (n < 0) {
            throw new EOFException("unexpected end of " + file + " at byte " + p);
          }
          p += n;
        }
        window.flip();
      }
      return (int) (position - windowStart);
    }

    /**
     * The record at this offset if its length is possible, it ends by {@code end} and its checksum
     * holds; else null, and {@link #problem} says why.
     */
    Raw read(long offset, long end) throws IOException {
      if (end - offset < HEAD + fixed) {
        problem = "cut short";
        return null;
      }
      int at = at(offset, HEAD);
      int length = window.getInt(at);
      if (length < fixed || length > maxPayload) {
        problem = "impossible record length " + length;
        return null;
      }
      if (offset + HEAD + length > end) {
        problem = "record runs past the end";
        return null;
      }
      at = at(offset, HEAD + length);
      CRC32C c = new CRC32C();
      if (version >= 2) {
        c.update(window.array(), at, 4);
      }
      c.update(window.array(), at + HEAD, length);
      if ((int) c.getValue() != window.getInt(at + 4)) {
        problem = "checksum mismatch";
        return null;
      }
      long sequence = window.getLong(at + HEAD);
      long appendFirst = version >= 2 ? window.getLong(at + HEAD + 8) : sequence;
      return new Raw(offset, HEAD + length, sequence, appendFirst);
    }

    /**
     * Reads the records after the header in order, checking their sequence numbers, and returns
     * the offset after the last good one: the end of the file, or where a torn write begins.
     */
    long scan(Header header, Consumer<Raw> each) throws IOException {
      long size = channel.size();
      long offset = header.length();
      long last = 0;
      while (offset < size) {
        Raw r = read(offset, size);
        if (r == null) {
          checkTornTail(header, offset, size, Math.max(last, header.compactedThrough()));
          return offset;
        }
        long compacted = header.compactedThrough();
        boolean inOrder = r.sequence() > last
            && (r.sequence() <= compacted || r.sequence() == Math.max(last, compacted) + 1);
        if (!inOrder) {
          throw new LogCorruptedException(file + ": record sequence " + r.sequence() + " at byte " + offset
              + " follows " + last + ": the log was edited or mixed with another");
        }
        checkLayout(r);
        each.accept(r);
        last = r.sequence();
        offset += r.size();
      }
      return offset;
    }

    /**
     * Refuses when the bytes from {@code offset} on, which hold no valid record, cannot be a torn
     * last append: inside the sealed part, or followed by a record of another append. {@code last}
     * is the sequence before the torn append's.
     */
    private void checkTornTail(Header header, long offset, long size, long last) throws IOException {
      String why = problem;
      if (offset < header.sealed()) {
        throw damaged(offset, why, "inside the part of the log written whole at its last compaction");
      }
      for (long p = offset + 1; p < size; p++) {
        Raw r = read(p, size);
        if (r == null) {
          continue;
        }
        boolean sameAppend = version >= 2 && r.sequence() > last && r.appendFirst() <= last + 1;
        if (!sameAppend) {
          throw damaged(offset, why, "a checksummed record of a later write (sequence " + r.sequence()
              + ") follows at byte " + p);
        }
        p += r.size() - 1;
      }
    }

    private LogCorruptedException damaged(long offset, String why, String evidence) {
      return new LogCorruptedException(file + ": damaged record at byte " + offset + " (" + why + "), " + evidence
          + ": these are not the bytes of a write torn by a crash; refusing to drop acknowledged records. Restore"
          + " the log from a backup, or cut it at byte " + offset + " to keep what precedes.");
    }

    private void checkLayout(Raw r) throws IOException {
      int at = at(r.offset(), r.size()) + HEAD;
      byte op = window.get(at + fixed - 3);
      int idLength = window.getShort(at + fixed - 2) & 0xffff;
      int expected = fixed + idLength + (op == 1 ? 4 * dimension : 0);
      if ((op != 1 && op != 2) || expected != r.size() - HEAD) {
        throw new LogCorruptedException(file + ": record at byte " + r.offset() + " has a valid checksum but an"
            + " impossible layout (op " + op + ")");
      }
    }

    /** Decodes a record {@link #scan} just handed over (its bytes are still in the window). */
    Record decode(Raw r) {
      try {
        int at = at(r.offset(), r.size()) + HEAD;
        boolean add = window.get(at + fixed - 3) == 1;
        int idLength = window.getShort(at + fixed - 2) & 0xffff;
        String id = new String(window.array(), at + fixed, idLength, StandardCharsets.UTF_8);
        float[] vector = null;
        if (add) {
          vector = new float[dimension];
          window.slice(at + fixed + idLength, 4 * dimension).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(vector);
        }
        return new Record(r.sequence(), add, id, vector);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Puts the record as a version-2 record (the first format's gets its own sequence as its append's first). */
    void copyAsCurrent(Raw r, ByteBuffer out) throws IOException {
      int at = at(r.offset(), r.size());
      if (version >= 2) {
        out.put(window.array(), at, r.size());
        return;
      }
      int length = r.size() - HEAD;
      byte[] payload = new byte[length + 8];
      ByteBuffer p = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
      p.putLong(r.sequence()).putLong(r.sequence()).put(window.array(), at + HEAD + 8, length - 8);
      putRecord(out, payload, 0, payload.length);
    }
  }

  /** A channel to write a log through, passed through the hooks. */
  private static FileChannel open(StoreHooks hooks, Path file, OpenOption... options) throws IOException {
    FileChannel channel = FileChannel.open(file, options);
    try {
      return hooks.channel(file, channel);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private static void keepTornTail(Path file, FileChannel channel, long end) throws IOException {
    Path aside = file.resolveSibling(file.getFileName() + ".torn-" + end);
    ByteBuffer tail = ByteBuffer.allocate((int) (channel.size() - end));
    readFully(channel, tail, end);
    AtomicFile.write(aside, temporary -> Files.write(temporary, tail.array()));
    log.warn("{}: cut a torn last write at byte {} ({} bytes, kept in {}); it was never acknowledged", file,
        end, tail.capacity(), aside.getFileName());
  }

  private static void writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    long p = position;
    while (buffer.hasRemaining()) {
      p += channel.write(buffer, p);
    }
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    long p = position;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, p);
      if (n < 0) {
        throw new IOException("unexpected end of file at byte " + p);
      }
      p += n;
    }
    buffer.flip();
  }

  private static int crc(byte[] data, int offset, int length) {
    CRC32C c = new CRC32C();
    c.update(data, offset, length);
    return (int) c.getValue();
  }

  /** Syncs and closes the log; the channel is closed even when the sync fails (then reported). */
  @Override
  public synchronized void close() {
    if (!channel.isOpen()) {
      return;
    }
    try (FileChannel closing = channel) {
      closing.force(true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close " + file + ": " + e.getMessage(), e);
    }
  }
}
