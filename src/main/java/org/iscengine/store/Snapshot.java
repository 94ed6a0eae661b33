package org.iscengine.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import org.iscengine.errors.IscException;
import org.iscengine.io.BinaryFormat;
import org.iscengine.io.FileTrees;
import org.iscengine.search.VectorIndex;

/**
 * A snapshot of the reference index: the index file ({@link VectorIndex#save}), the id map
 * (internal id to reference id) and a manifest with the log sequence it covers and the size and
 * CRC-32C of each file. It is published as the folder {@code snapshots/<sequence>}
 * ({@link FileTrees#publish}): a crash leaves the old snapshots whole.
 */
final class Snapshot {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String INDEX = "index.bin";
  static final String IDS = "ids.bin";
  static final String MANIFEST = "manifest.json";
  /** Version 1 had no frame (see {@link #readIds}). */
  static final BinaryFormat IDS_FORMAT = new BinaryFormat("isc-snapshot-ids", 2);
  /** Snapshots kept: the newest, and one to fall back to if it is damaged. */
  static final int KEEP = 2;

  record FileSum(long bytes, long crc32c) {}

  record Manifest(long sequence, int dimension, String metric, String index, Map<String, FileSum> files) {}

  /** What a snapshot holds once loaded. */
  record Loaded(Path folder, long sequence, VectorIndex index, Map<Long, String> ids) {}

  private Snapshot() {}

  static void write(Path snapshots, Manifest about, VectorIndex index, Map<Long, String> ids, StoreHooks hooks)
      throws IOException {
    FileTrees.publish(snapshots.resolve(String.format("%020d", about.sequence())), folder -> {
      index.save(folder.resolve(INDEX));
      hooks.snapshotFileWritten(folder.resolve(INDEX));
      IDS_FORMAT.write(folder.resolve(IDS), out -> writeIds(out, ids));
      hooks.snapshotFileWritten(folder.resolve(IDS));
      Map<String, FileSum> sums = new LinkedHashMap<>();
      for (String f : List.of(INDEX, IDS)) {
        sums.put(f, sum(folder.resolve(f)));
      }
      Manifest manifest = new Manifest(about.sequence(), about.dimension(), about.metric(), about.index(), sums);
      Files.write(folder.resolve(MANIFEST), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
      hooks.snapshotFileWritten(folder.resolve(MANIFEST));
    });
    List<Path> all = list(snapshots);
    for (int i = KEEP; i < all.size(); i++) {
      FileTrees.delete(all.get(i));
    }
  }

  /** The id map: its count, then each internal id and its reference id (all of version 1, the frame's body since). */
  static void writeIds(DataOutputStream out, Map<Long, String> ids) throws IOException {
    out.writeInt(ids.size());
    for (Map.Entry<Long, String> e : ids.entrySet()) {
      byte[] id = e.getValue().getBytes(StandardCharsets.UTF_8);
      out.writeLong(e.getKey());
      out.writeShort(id.length);
      out.write(id);
    }
  }

  /** Snapshot folders, newest first (what a crash left of a snapshot being written is cleared up). */
  static List<Path> list(Path snapshots) throws IOException {
    if (!Files.isDirectory(snapshots)) {
      return List.of();
    }
    FileTrees.recoverAll(snapshots);
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(snapshots)) {
      for (Path p : s.toList()) {
        if (p.getFileName().toString().matches("\\d{20}") && Files.isDirectory(p)) {
          out.add(p);
        }
      }
    }
    out.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
    return out;
  }

  /** The log sequence a snapshot folder of {@link #list} covers (its name). */
  static long sequence(Path folder) {
    return Long.parseLong(folder.getFileName().toString());
  }

  /**
   * Reads and verifies a snapshot.
   *
   * @throws IllegalStateException naming what is wrong when a file is missing, has another size
   *     or checksum, or the snapshot belongs to a store of another shape
   */
  static Loaded read(Path folder, Manifest expected) throws IOException {
    Manifest m;
    try {
      m = JSON.readValue(folder.resolve(MANIFEST).toFile(), Manifest.class);
    } catch (IOException e) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, "unreadable manifest: " + e.getMessage(), e);
    }
    if (m.dimension() != expected.dimension() || !m.metric().equals(expected.metric())
        || !m.index().equals(expected.index())) {
      throw new IllegalStateException("made for " + m.dimension() + "-d " + m.metric() + " " + m.index()
          + ", the store is " + expected.dimension() + "-d " + expected.metric() + " " + expected.index());
    }
    // The folder is named after the log record the snapshot covers; the manifest, which no checksum
    // covers, must say the same, or replaying the log from it would skip changes or repeat them.
    if (m.sequence() != sequence(folder)) {
      throw new IscException(IscException.Kind.CORRUPT_DATA, "the manifest says it covers log record "
          + m.sequence() + ", the folder's name says " + sequence(folder));
    }
    for (String f : List.of(INDEX, IDS)) {
      FileSum want = m.files() == null ? null : m.files().get(f);
      Path p = folder.resolve(f);
      if (want == null || !Files.isRegularFile(p)) {
        throw new IscException(IscException.Kind.CORRUPT_DATA, f + " is missing");
      }
      FileSum got = sum(p);
      if (!got.equals(want)) {
        throw new IscException(IscException.Kind.CORRUPT_DATA,
            f + " has " + got.bytes() + " bytes / CRC " + Long.toHexString(got.crc32c())
            + ", the manifest says " + want.bytes() + " / " + Long.toHexString(want.crc32c()));
      }
    }
    Map<Long, String> ids = readIds(folder.resolve(IDS));
    VectorIndex index = VectorIndex.load(folder.resolve(INDEX));
    if (index.size() != ids.size() || index.dimension() != expected.dimension()) {
      index.close();
      throw new IllegalStateException("the index holds " + index.size() + " vectors for " + ids.size() + " ids");
    }
    return new Loaded(folder, m.sequence(), index, ids);
  }

  private static FileSum sum(Path file) throws IOException {
    CRC32C crc = new CRC32C();
    long bytes = 0;
    try (InputStream in = new CheckedInputStream(Files.newInputStream(file), crc)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        bytes += n;
      }
    }
    return new FileSum(bytes, crc.getValue());
  }

  /**
   * The id map: the framed format, or the bare one of version 1 (the count, then each internal id
   * and its reference id), which the manifest's checksum covers.
   */
  static Map<Long, String> readIds(Path file) throws IOException {
    if (BinaryFormat.isFramed(file)) {
      return IDS_FORMAT.read(file, in -> readIds(in.data(), in));
    }
    long size = Files.size(file);
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
      return readIds(in, (bytes, what) -> {
        if (bytes < 0 || bytes > size - 4) {
          throw new IscException(IscException.Kind.CORRUPT_DATA,
              file + ": " + what + " claim " + bytes + " bytes, the file has " + size);
        }
      });
    }
  }

  private static Map<Long, String> readIds(DataInputStream in, BinaryFormat.Bounds bounds) throws IOException {
    int n = in.readInt();
    bounds.require(10L * n, n + " ids");
    Map<Long, String> ids = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      long internal = in.readLong();
      byte[] id = new byte[in.readUnsignedShort()];
      in.readFully(id);
      ids.put(internal, new String(id, StandardCharsets.UTF_8));
    }
    return ids;
  }
}
