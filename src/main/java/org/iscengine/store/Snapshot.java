package org.iscengine.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import org.iscengine.errors.IscException;
import org.iscengine.search.VectorIndex;

/**
 * A snapshot of the reference index: the index file ({@link VectorIndex#save}), the id map
 * (internal id to reference id) and a manifest with the log sequence it covers and the size and
 * CRC-32C of each file. It is written in a temporary folder, synced, then renamed into
 * {@code snapshots/<sequence>}: a crash leaves the old snapshots whole.
 */
final class Snapshot {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String INDEX = "index.bin";
  static final String IDS = "ids.bin";
  static final String MANIFEST = "manifest.json";
  /** Snapshots kept: the newest, and one to fall back to if it is damaged. */
  static final int KEEP = 2;

  record FileSum(long bytes, long crc32c) {}

  record Manifest(long sequence, int dimension, String metric, String index, Map<String, FileSum> files) {}

  /** What a snapshot holds once loaded. */
  record Loaded(Path folder, long sequence, VectorIndex index, Map<Long, String> ids) {}

  private Snapshot() {}

  static void write(Path snapshots, Manifest about, VectorIndex index, Map<Long, String> ids) throws IOException {
    Files.createDirectories(snapshots);
    String name = String.format("%020d", about.sequence());
    Path tmp = snapshots.resolve(".tmp-" + name);
    deleteTree(tmp);
    Files.createDirectories(tmp);
    index.save(tmp.resolve(INDEX));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(ids.size());
      for (Map.Entry<Long, String> e : ids.entrySet()) {
        byte[] id = e.getValue().getBytes(StandardCharsets.UTF_8);
        out.writeLong(e.getKey());
        out.writeShort(id.length);
        out.write(id);
      }
    }
    Files.write(tmp.resolve(IDS), bytes.toByteArray());
    Map<String, FileSum> sums = new LinkedHashMap<>();
    for (String f : List.of(INDEX, IDS)) {
      sums.put(f, sum(tmp.resolve(f)));
      Durability.syncFile(tmp.resolve(f));
    }
    Manifest manifest = new Manifest(about.sequence(), about.dimension(), about.metric(), about.index(), sums);
    Files.write(tmp.resolve(MANIFEST), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
    Durability.syncFile(tmp.resolve(MANIFEST));
    Durability.syncDirectory(tmp);
    Path target = snapshots.resolve(name);
    deleteTree(target);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    Durability.syncDirectory(snapshots);
    List<Path> all = list(snapshots);
    for (int i = KEEP; i < all.size(); i++) {
      deleteTree(all.get(i));
    }
  }

  /** Snapshot folders, newest first (temporary folders left by a crash are removed). */
  static List<Path> list(Path snapshots) throws IOException {
    if (!Files.isDirectory(snapshots)) {
      return List.of();
    }
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(snapshots)) {
      for (Path p : s.toList()) {
        String n = p.getFileName().toString();
        if (n.startsWith(".tmp-")) {
          deleteTree(p);
        } else if (n.matches("\\d{20}") && Files.isDirectory(p)) {
          out.add(p);
        }
      }
    }
    out.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
    return out;
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
    for (String f : List.of(INDEX, IDS)) {
      FileSum want = m.files() == null ? null : m.files().get(f);
      Path p = folder.resolve(f);
      if (want == null || !Files.isRegularFile(p)) {
        throw new IscException(IscException.Kind.CORRUPT_DATA, f + " is missing");
      }
      FileSum got = sum(p);
      if (!got.equals(want)) {
        throw new IscException(IscException.Kind.CORRUPT_DATA, f + " has " + got.bytes() + " bytes / CRC " + Long.toHexString(got.crc32c())
            + ", the manifest says " + want.bytes() + " / " + Long.toHexString(want.crc32c()));
      }
    }
    Map<Long, String> ids = new LinkedHashMap<>();
    try (DataInputStream in = new DataInputStream(Files.newInputStream(folder.resolve(IDS)))) {
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        long internal = in.readLong();
        byte[] id = new byte[in.readUnsignedShort()];
        in.readFully(id);
        ids.put(internal, new String(id, StandardCharsets.UTF_8));
      }
    }
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

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
