package org.iscengine.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.iscengine.search.VectorIndex;
import org.iscengine.store.ReferenceLog;
import org.junit.jupiter.api.Timeout;

/**
 * The reference store's files as a crash or a damaged disk may leave them: the reference log
 * (opened as the store opens it) and a snapshot (its id map and index file, behind a manifest
 * whose checksums match, so that the parsers behind the checksums are reached).
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StoreFuzzTest {
  /** The dimension of the seed files. */
  static final int DIM = 4;
  private static final InputFiles INPUTS = new InputFiles("store", 256 * 1024);

  /**
   * Any log file: opening replays records of the store's dimension in sequence, or refuses with a
   * LogCorruptedException; a torn tail it cut is gone when the log is opened again.
   */
  @FuzzTest
  void referenceLog(byte[] data) throws IOException {
    Contract.clear(INPUTS.dir());
    INPUTS.write("references.log", data).ifPresent(StoreFuzzTest::openTwice);
  }

  private static void openTwice(Path file) {
    Contract.refusesOrReads(() -> {
      List<ReferenceLog.Record> first = new ArrayList<>();
      long next;
      try (ReferenceLog log = ReferenceLog.open(file, DIM, first::add)) {
        next = log.nextSequence();
      }
      for (int i = 0; i < first.size(); i++) {
        ReferenceLog.Record r = first.get(i);
        assertEquals(i + 1, r.sequence(), "records replay in sequence");
        assertTrue(!r.add() || (r.vector() != null && r.vector().length == DIM), "adds carry a full vector");
      }
      assertEquals(first.size() + 1, next, "the next sequence follows the last record");
      List<ReferenceLog.Record> again = new ArrayList<>();
      try (ReferenceLog log = ReferenceLog.open(file, DIM, again::add)) {
        assertEquals(next, log.nextSequence(), "reopening finds the same records");
      }
      assertEquals(first.size(), again.size(), "reopening finds the same records");
    });
  }

  /**
   * A snapshot folder: the input is a 4-byte big-endian length, that many bytes of id map
   * (ids.bin), then the index file (index.bin, exact or FAISS). The manifest is written to match
   * them.
   */
  @FuzzTest
  void snapshot(byte[] data) throws Exception {
    if (!INPUTS.take(data) || data.length < 4) {
      return;
    }
    int rest = data.length - 4;
    int idsLength = Integer.remainderUnsigned(ByteBuffer.wrap(data).getInt(0), rest + 1);
    byte[] ids = Arrays.copyOfRange(data, 4, 4 + idsLength);
    byte[] index = Arrays.copyOfRange(data, 4 + idsLength, data.length);
    Contract.clear(INPUTS.dir());
    Path folder = Files.createDirectories(INPUTS.resolve("00000000000000000001"));  // named after its log record
    Files.write(folder.resolve("ids.bin"), ids);
    Files.write(folder.resolve("index.bin"), index);
    String manifest = "{\"sequence\": 1, \"dimension\": " + DIM + ", \"metric\": \"INNER_PRODUCT\", \"index\": \"exact\","
        + " \"files\": {\"index.bin\": " + sum(index) + ", \"ids.bin\": " + sum(ids) + "}}";
    Files.writeString(folder.resolve("manifest.json"), manifest);
    Contract.refusesOrReads(() -> {
      Object loaded = SnapshotAccess.read(folder);
      try (VectorIndex vectors = (VectorIndex) Reflection.component(loaded, "index")) {
        Map<?, ?> idMap = (Map<?, ?>) Reflection.component(loaded, "ids");
        assertEquals(idMap.size(), vectors.size(), "one id per vector");
        assertEquals(DIM, vectors.dimension(), "the store's dimension");
      }
    }, IllegalStateException.class, IOException.class);
  }

  private static String sum(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return "{\"bytes\": " + bytes.length + ", \"crc32c\": " + crc.getValue() + "}";
  }

  /** Snapshot.read, which the store calls on every snapshot folder it opens. */
  private static final class SnapshotAccess {
    private static final Class<?> MANIFEST_TYPE = Reflection.type("org.iscengine.store.Snapshot$Manifest");
    private static final Method READ =
        Reflection.method(Reflection.type("org.iscengine.store.Snapshot"), "read", Path.class, MANIFEST_TYPE);

    static Object read(Path folder) throws Exception {
      Constructor<?> manifest = MANIFEST_TYPE.getDeclaredConstructor(long.class, int.class, String.class,
          String.class, Map.class);
      manifest.setAccessible(true);
      return Reflection.call(READ, folder, manifest.newInstance(0L, DIM, "INNER_PRODUCT", "exact", Map.of()));
    }
  }
}
