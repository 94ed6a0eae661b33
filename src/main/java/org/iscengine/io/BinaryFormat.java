package org.iscengine.io;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.iscengine.errors.IscException;

/**
 * The frame of the engine's own binary files: a header naming the format and its version, the
 * payload, and a footer with the payload's length and a CRC-32C of all that precedes the checksum.
 * Big-endian: {@code "ISCF", u16 name length, name (UTF-8), i32 version | payload | i64 payload
 * length, i32 CRC-32C, "ISCE"}. Files are written atomically ({@link AtomicFile}); reading checks
 * the header, the length and the checksum before the payload is parsed, and the parser can check
 * every length it reads against the bytes left ({@link Input#require}), so that a damaged file is
 * refused, naming it, without allocating what it claims.
 */
public final class BinaryFormat {
  private static final byte[] MAGIC = {'I', 'S', 'C', 'F'};
  private static final byte[] END = {'I', 'S', 'C', 'E'};
  private static final int FOOTER = 8 + 4 + END.length;
  private static final int BUFFER = 1 << 16;

  private final String name;
  private final int version;
  private final byte[] nameBytes;

  /** A format and the version this engine writes (it reads that one and older ones). */
  public BinaryFormat(String name, int version) {
    if (version < 1) {
      throw new IllegalArgumentException("format versions start at 1, got " + version);
    }
    this.name = name;
    this.version = version;
    this.nameBytes = name.getBytes(StandardCharsets.UTF_8);
  }

  /** Writes the payload. */
  @FunctionalInterface
  public interface Payload {
    void writeTo(DataOutputStream out) throws IOException;
  }

  /** Reads the payload of a verified file. */
  @FunctionalInterface
  public interface Parser<T> {
    T read(Input in) throws IOException;
  }

  /** Checks a length read from a file against the bytes left in it, before anything that size is made. */
  @FunctionalInterface
  public interface Bounds {
    void require(long bytes, String what);
  }

  /** The payload of a verified file, and the version it was written in. */
  public static final class Input implements Bounds {
    private final Path file;
    private final int version;
    private final CountingInputStream counted;
    private final DataInputStream data;
    private final long length;

    private Input(Path file, int version, InputStream payload, long length) {
      this.file = file;
      this.version = version;
      this.counted = new CountingInputStream(payload);
      this.data = new DataInputStream(counted);
      this.length = length;
    }

    public DataInputStream data() {
      return data;
    }

    public int version() {
      return version;
    }

    /** Payload bytes not read yet. */
    public long remaining() {
      return length - counted.count;
    }

    /** Refuses the file when what comes next claims more bytes (or fewer than none) than are left. */
    @Override
    public void require(long bytes, String what) {
      if (bytes < 0 || bytes > remaining()) {
        throw corrupt(file, what + " claims " + bytes + " bytes where " + remaining() + " are left");
      }
    }
  }

  public String name() {
    return name;
  }

  public int version() {
    return version;
  }

  /** Writes the file atomically, framed in this format's current version. */
  public void write(Path target, Payload payload) {
    AtomicFile.write(target, temporary -> {
      CRC32C crc = new CRC32C();
      try (OutputStream file = Files.newOutputStream(temporary);
          CountingCrcOutputStream framed = new CountingCrcOutputStream(new BufferedOutputStream(file, BUFFER), crc);
          DataOutputStream out = new DataOutputStream(framed)) {
        out.write(MAGIC);
        out.writeShort(nameBytes.length);
        out.write(nameBytes);
        out.writeInt(version);
        long header = framed.count;
        payload.writeTo(out);
        out.writeLong(framed.count - header);
        out.writeInt((int) crc.getValue());
        out.write(END);
      }
    });
  }

  /** Whether the file starts with this format's header (of any version). */
  public boolean matches(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      ByteBuffer expected = ByteBuffer.allocate(MAGIC.length + 2 + nameBytes.length).put(MAGIC)
          .putShort((short) nameBytes.length).put(nameBytes);
      return Arrays.equals(in.readNBytes(expected.capacity()), expected.array());
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether the file starts with the header of some format of the engine's. */
  public static boolean isFramed(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return Arrays.equals(in.readNBytes(MAGIC.length), MAGIC);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Verifies the file (header, length, checksum), then parses its payload, which the parser must
   * read to the end.
   *
   * @throws IscException of kind corrupt data naming the file and what is wrong with it (unsupported
   *     for a newer version of the format); IllegalArgumentException for a missing file
   */
  public <T> T read(Path file, Parser<T> parser) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": no such file");
    }
    try {
      long size = Files.size(file);
      int fileVersion;
      long headerLength;
      try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), BUFFER))) {
        byte[] magic = in.readNBytes(MAGIC.length);
        if (!Arrays.equals(magic, MAGIC)) {
          throw corrupt(file, "not a file in the " + name + " format (no isc-engine header)");
        }
        byte[] found = in.readNBytes(Math.min(in.readUnsignedShort(), 256));
        if (!Arrays.equals(found, nameBytes)) {
          throw corrupt(file, "a file in the " + new String(found, StandardCharsets.UTF_8) + " format, not " + name);
        }
        fileVersion = in.readInt();
        headerLength = MAGIC.length + 2 + nameBytes.length + 4;
      } catch (EOFException e) {
        throw corrupt(file, "truncated (" + size + " bytes, shorter than its header)");
      }
      long payloadLength = checkFooter(file, size, headerLength);
      verifyChecksum(file, size);
      if (fileVersion > version || fileVersion < 1) {
        throw new IscException(IscException.Kind.UNSUPPORTED,
            file + ": format " + name + " v" + fileVersion + ", this version of"
            + " isc-engine reads " + name + " up to v" + version + " (written by a newer version?)");
      }
      try (InputStream in = new BufferedInputStream(Files.newInputStream(file), BUFFER)) {
        in.skipNBytes(headerLength);
        Input input = new Input(file, fileVersion, new LimitedInputStream(in, payloadLength), payloadLength);
        T result = parser.read(input);
        if (input.remaining() != 0) {
          throw corrupt(file, input.remaining() + " bytes left over after the payload");
        }
        return result;
      } catch (EOFException e) {
        throw corrupt(file, "the payload ends before its content does");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Checks the footer's end mark and length against the file's size; returns the payload length. */
  private long checkFooter(Path file, long size, long headerLength) throws IOException {
    if (size < headerLength + FOOTER) {
      throw corrupt(file, "truncated (" + size + " bytes, shorter than its header and footer)");
    }
    ByteBuffer footer = ByteBuffer.allocate(FOOTER);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      while (footer.hasRemaining() && channel.read(footer, size - FOOTER + footer.position()) > 0) {
        // reads until the footer is full
      }
    }
    footer.flip();
    long payloadLength = footer.getLong();
    footer.getInt();
    byte[] end = new byte[END.length];
    footer.get(end);
    if (!Arrays.equals(end, END)) {
      throw corrupt(file, "truncated or unfinished (" + size + " bytes, no end mark)");
    }
    long expected = headerLength + payloadLength + FOOTER;
    if (payloadLength < 0 || expected != size) {
      throw corrupt(file, "truncated or extended: " + size + " bytes where its footer says " + expected);
    }
    return payloadLength;
  }

  private static void verifyChecksum(Path file, long size) throws IOException {
    CRC32C crc = new CRC32C();
    long covered = size - 4 - END.length;
    byte[] stored = new byte[4];
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[BUFFER];
      for (long left = covered; left > 0; ) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          throw new EOFException();
        }
        crc.update(buffer, 0, n);
        left -= n;
      }
      if (in.readNBytes(stored, 0, 4) != 4) {
        throw new EOFException();
      }
    }
    int expected = ByteBuffer.wrap(stored).getInt();
    if (expected != (int) crc.getValue()) {
      throw corrupt(file, "checksum mismatch (CRC-32C " + Integer.toHexString((int) crc.getValue())
          + ", the file says " + Integer.toHexString(expected) + ")");
    }
  }

  private static IscException corrupt(Path file, String problem) {
    return new IscException(IscException.Kind.CORRUPT_DATA, file + ": corrupt file: " + problem);
  }

  /** Counts the bytes read (skipped bytes included). */
  private static final class CountingInputStream extends FilterInputStream {
    long count;

    CountingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(n);
      count += skipped;
      return skipped;
    }
  }

  /** Ends after a given number of bytes. */
  private static final class LimitedInputStream extends FilterInputStream {
    private long left;

    LimitedInputStream(InputStream in, long limit) {
      super(in);
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = super.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = super.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(Math.min(n, left));
      left -= skipped;
      return skipped;
    }
  }

  /** Updates the checksum and counts the bytes written. */
  private static final class CountingCrcOutputStream extends FilterOutputStream {
    private final CRC32C crc;
    long count;

    CountingCrcOutputStream(OutputStream out, CRC32C crc) {
      super(out);
      this.crc = crc;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      crc.update(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      crc.update(b, off, len);
      count += len;
    }
  }
}
