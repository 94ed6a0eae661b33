package org.iscengine.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.iscengine.io.AtomicFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only, checksummed log of reference changes: the store's source of truth. Every
 * record is on disk ({@code fsync}) before {@link #append} returns, so an acknowledged change
 * survives a crash of the process or of the machine.
 *
 * <p>Layout (little-endian): a 16-byte header (magic {@code ISCRLOG1}, dimension, CRC-32C of the
 * first 12 bytes), then records {@code [payload length int][CRC-32C of payload int][payload]} with
 * payload {@code [sequence long][op byte][id length short][id UTF-8][dimension floats, adds
 * only]}. Sequence numbers rise by one per record.
 *
 * <p>Opening checks every record. A damaged last record is a write torn by a crash (it was
 * never acknowledged): its bytes are kept aside in {@code <log>.torn-<offset>} and the log is cut
 * before it. Damage followed by more data is not a torn write: opening refuses, naming the
 * offset, rather than drop acknowledged records.
 */
public final class ReferenceLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReferenceLog.class);
  private static final byte[] MAGIC = "ISCRLOG1".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER = 16;
  /** Longest id in UTF-8 bytes. */
  public static final int MAX_ID_BYTES = 1024;

  /** One change: an add (with its vector) or a remove. */
  public record Record(long sequence, boolean add, String id, float[] vector) {}

  private final Path file;
  private final int dimension;
  private final FileChannel channel;
  private long nextSequence;

  private ReferenceLog(Path file, int dimension, FileChannel channel, long nextSequence) {
    this.file = file;
    this.dimension = dimension;
    this.channel = channel;
    this.nextSequence = nextSequence;
  }

  /**
   * Opens (or creates) a log, hands every record to {@code replay} in order, and leaves the log
   * ready for appends.
   *
   * @throws LogCorruptedException when a record other than the last is damaged, or the header is
   */
  public static ReferenceLog open(Path file, int dimension, Consumer<Record> replay) {
    try {
      // Shorter than a header: a crash while the log was being created, before any record.
      boolean fresh = !Files.exists(file) || Files.size(file) < HEADER;
      FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      try {
        if (fresh) {
          channel.truncate(0);
          ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
          header.put(MAGIC).putInt(dimension).putInt(crc(header.array(), 0, 12)).flip();
          writeFully(channel, header, 0);
          channel.force(true);
          AtomicFile.syncFolder(file.toAbsolutePath().getParent());
          return new ReferenceLog(file, dimension, channel, 1);
        }
        checkHeader(file, channel, dimension);
        long[] next = {1};
        long end = scan(file, channel, dimension, r -> {
          if (r.sequence() != next[0]) {
            throw new LogCorruptedException(file + ": record sequence " + r.sequence() + " where " + next[0]
                + " was due: the log was edited or mixed with another");
          }
          next[0]++;
          replay.accept(r);
        });
        if (end < channel.size()) {
          keepTornTail(file, channel, end);
          channel.truncate(end);
          channel.force(true);
        }
        channel.position(end);
        return new ReferenceLog(file, dimension, channel, next[0]);
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
      byte[] payload = encode(records.get(i), nextSequence + i);
      encoded.add(payload);
      total += 8 + payload.length;
    }
    ByteBuffer out = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    for (byte[] payload : encoded) {
      out.putInt(payload.length).putInt(crc(payload, 0, payload.length)).put(payload);
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
    return sequences;
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

  private byte[] encode(Record r, long sequence) {
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
    ByteBuffer b = ByteBuffer.allocate(8 + 1 + 2 + id.length + (r.add() ? 4 * dimension : 0))
        .order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(sequence).put((byte) (r.add() ? 1 : 2)).putShort((short) id.length).put(id);
    if (r.add()) {
      for (float v : r.vector()) {
        b.putFloat(v);
      }
    }
    return b.array();
  }

  private static void checkHeader(Path file, FileChannel channel, int dimension) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    if (channel.read(header, 0) < HEADER || !Arrays.equals(Arrays.copyOf(header.array(), 8), MAGIC)
        || header.getInt(12) != crc(header.array(), 0, 12)) {
      throw new LogCorruptedException(file + " is not a reference log (bad header)");
    }
    int stored = header.getInt(8);
    if (stored != dimension) {
      throw new IllegalArgumentException(file + " holds " + stored + "-d descriptors, but the model gives "
          + dimension + "-d: use another store folder for this model");
    }
  }

  /** Reads records from the header on; returns the offset after the last good record. */
  private static long scan(Path file, FileChannel channel, int dimension, Consumer<Record> replay)
      throws IOException {
    long size = channel.size();
    long offset = HEADER;
    int maxPayload = 8 + 1 + 2 + MAX_ID_BYTES + 4 * dimension;
    ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    while (offset < size) {
      if (size - offset < 8) {
        return offset;  // a torn record head
      }
      head.clear();
      readFully(channel, head, offset);
      int length = head.getInt(0);
      int crc = head.getInt(4);
      if (length < 11 || length > maxPayload) {
        return damaged(file, offset, size, offset + 8, "impossible record length " + length);
      }
      if (offset + 8 + length > size) {
        return offset;  // torn: the record runs past the end
      }
      ByteBuffer payload = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, payload, offset + 8);
      if (crc(payload.array(), 0, length) != crc) {
        return damaged(file, offset, size, offset + 8 + length, "checksum mismatch");
      }
      replay.accept(decode(file, offset, payload, dimension));
      offset += 8 + length;
    }
    return offset;
  }

  /** A bad record at the very end is a torn write; anywhere else the log is corrupted. */
  private static long damaged(Path file, long offset, long size, long recordEnd, String why) {
    if (recordEnd >= size) {
      return offset;
    }
    throw new LogCorruptedException(file + ": damaged record at byte " + offset + " (" + why + ") with "
        + (size - recordEnd) + " bytes after it; refusing to drop the records that follow. Restore the log"
        + " from a backup, or cut it at byte " + offset + " to keep what precedes.");
  }

  private static Record decode(Path file, long offset, ByteBuffer b, int dimension) {
    long sequence = b.getLong(0);
    byte op = b.get(8);
    int idLength = b.getShort(9) & 0xffff;
    int expected = 11 + idLength + (op == 1 ? 4 * dimension : 0);
    if ((op != 1 && op != 2) || expected != b.capacity()) {
      throw new LogCorruptedException(file + ": record at byte " + offset + " has a valid checksum but an"
          + " impossible layout (op " + op + ")");
    }
    String id = new String(b.array(), 11, idLength, StandardCharsets.UTF_8);
    float[] vector = null;
    if (op == 1) {
      vector = new float[dimension];
      b.position(11 + idLength);
      b.asFloatBuffer().get(vector);
    }
    return new Record(sequence, op == 1, id, vector);
  }

  private static void keepTornTail(Path file, FileChannel channel, long end) throws IOException {
    Path aside = file.resolveSibling(file.getFileName() + ".torn-" + end);
    ByteBuffer tail = ByteBuffer.allocate((int) (channel.size() - end));
    readFully(channel, tail, end);
    Files.write(aside, tail.array());
    log.warn("{}: cut a torn last record at byte {} ({} bytes, kept in {}); it was never acknowledged", file,
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

  @Override
  public synchronized void close() {
    try {
      if (channel.isOpen()) {
        channel.force(true);
        channel.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close " + file + ": " + e.getMessage(), e);
    }
  }
}
