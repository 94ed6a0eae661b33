package org.iscengine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.iscengine.errors.IscException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotFilesTest {
  @TempDir Path dir;

  private static Map<Long, String> randomIds(Random random) {
    Map<Long, String> ids = new LinkedHashMap<>();
    for (int i = 0; i < 1 + random.nextInt(20); i++) {
      ids.put(random.nextLong(), "ref-" + random.nextInt(1_000_000) + "-é");
    }
    return ids;
  }

  /** Version 1 of ids.bin: no frame, the count then each internal id and its reference id. */
  private static byte[] version1(Map<Long, String> ids) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      Snapshot.writeIds(out, ids);
    }
    return bytes.toByteArray();
  }

  @Test
  void idMapsOfVersion1StillReadAndAFalseCountIsRefused() throws Exception {
    Map<Long, String> ids = randomIds(new Random(System.nanoTime()));
    Path file = dir.resolve("ids.bin");
    byte[] old = version1(ids);
    Files.write(file, old);
    assertEquals(ids, Snapshot.readIds(file));
    old[0] = 0x7f;
    Files.write(file, old);
    var e = assertThrows(IscException.class, () -> Snapshot.readIds(file));
    assertEquals(IscException.Kind.CORRUPT_DATA, e.kind());
    assertTrue(e.getMessage().contains("ids.bin"), e.getMessage());
  }

  @Test
  void idMapsAreFramedAndChecked() throws Exception {
    Map<Long, String> ids = randomIds(new Random(System.nanoTime()));
    Path file = dir.resolve("ids.bin");
    byte[] payload = version1(ids);
    Snapshot.IDS_FORMAT.write(file, out -> out.write(payload));
    assertEquals(ids, Snapshot.readIds(file));
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 1;
    Files.write(file, bytes);
    var e = assertThrows(IscException.class, () -> Snapshot.readIds(file));
    assertEquals(IscException.Kind.CORRUPT_DATA, e.kind());
    assertTrue(e.getMessage().contains("ids.bin") && e.getMessage().contains("checksum"), e.getMessage());
  }

  @Test
  void listingPutsBackASnapshotACrashLeftMovedAsideAndDropsHalfWrittenOnes() throws Exception {
    Path snapshots = dir.resolve("snapshots");
    Files.createDirectories(snapshots.resolve(".old-00000000000000000007"));
    Files.createDirectories(snapshots.resolve(".tmp-00000000000000000009"));
    Files.createDirectories(snapshots.resolve("00000000000000000003"));
    assertEquals(List.of(snapshots.resolve("00000000000000000007"), snapshots.resolve("00000000000000000003")),
        Snapshot.list(snapshots));
    try (var s = Files.list(snapshots)) {
      assertEquals(2, s.count());
    }
  }
}
