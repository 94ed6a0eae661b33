package org.iscengine.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.CRC32;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.iscengine.errors.IscException;
import org.iscengine.kernels.Metric;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExactIndexFileTest {
  private static final int DIM = 4;

  @TempDir Path dir;

  @Test
  void anIndexOfHugeDimensionAndNoVectorsLoadsInBoundedMemory() throws Exception {
    // The snapshot fuzz target's input: a version 1 file of dimension 983 040 and no vectors (and a
    // wrong checksum), for which the index allocated 1 024 rows (4 GB) before reading on.
    byte[] input;
    try (java.io.InputStream in = ExactIndexFileTest.class.getResourceAsStream(
        "/org/iscengine/fuzz/StoreFuzzTestInputs/snapshot/finding-StoreFuzzTest-snapshot-exact-dimension-alloc")) {
      input = in.readAllBytes();
    }
    int idsLength = Integer.remainderUnsigned(ByteBuffer.wrap(input).getInt(0), input.length - 4 + 1);
    Path folder = Files.createDirectories(dir.resolve("huge"));
    Files.write(folder.resolve("finding.idx"), java.util.Arrays.copyOfRange(input, 4 + idsLength, input.length));
    try (ExactIndex empty = new ExactIndex(983_040, Metric.INNER_PRODUCT)) {
      empty.save(folder.resolve("valid.idx"));
    }
    var results = IndexLoadChild.run(folder);
    assertEquals(2, results.size());
    assertEquals(IscException.Kind.CORRUPT_DATA.name(), results.get(0).outcome(), results.get(0).toString());
    assertEquals("LOADED", results.get(1).outcome(), results.get(1).toString());
    for (var r : results) {
      assertTrue(r.peakGrowthMegabytes() < 64, () -> "in bounded memory: " + r);
    }
  }

  private final long seed = System.nanoTime();
  private final float[] values = randomValues(new Random(seed), 3 * DIM);
  private final long[] ids = {10, 20, 30};

  private static float[] randomValues(Random random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = random.nextFloat() * 2 - 1;
    }
    return v;
  }

  private Tensor vectors() {
    try (TensorOptions floats = new TensorOptions(ScalarType.Float);
        Tensor flat = torch.tensor(values, floats)) {
      return flat.view(3, DIM).clone();
    }
  }

  private void assertHoldsTheVectors(VectorIndex index) {
    assertEquals(3, index.size());
    try (Tensor queries = vectors()) {
      Neighbors n = index.search(queries, 1);
      for (int q = 0; q < 3; q++) {
        assertEquals(ids[q], n.id(q, 0), "seed " + seed);
      }
    }
  }

  private Path save(String name) {
    Path file = dir.resolve(name);
    try (ExactIndex index = new ExactIndex(DIM, Metric.L2); Tensor v = vectors()) {
      index.add(v, ids);
      index.save(file);
    }
    return file;
  }

  private static void assertRefused(Path file, String problem) {
    assertEquals(IscException.Kind.CORRUPT_DATA, IscException.Kind.of(refusal(file, problem)));
  }

  /** The file refused, naming it and the problem. */
  private static RuntimeException refusal(Path file, String problem) {
    var e = assertThrows(RuntimeException.class, () -> VectorIndex.load(file).close());
    assertTrue(e.getMessage().contains(file.getFileName().toString()) && e.getMessage().contains(problem),
        e.getMessage());
    return e;
  }

  @Test
  void aBitFlipAnywhereInTheFileIsRefusedNamingIt() throws Exception {
    Path file = save("index.bin");
    try (VectorIndex back = VectorIndex.load(file)) {
      assertHoldsTheVectors(back);
    }
    byte[] bytes = Files.readAllBytes(file);
    Path flipped = dir.resolve("flipped.bin");
    for (int i = 0; i < bytes.length; i++) {
      byte[] damaged = bytes.clone();
      damaged[i] ^= (byte) (1 << (i % 8));
      Files.write(flipped, damaged);
      // A damaged header makes it no exact index at all: FAISS, tried next, refuses it as input.
      IscException.Kind kind = IscException.Kind.of(refusal(flipped, ""));
      assertTrue(kind == IscException.Kind.CORRUPT_DATA || kind == IscException.Kind.INVALID_INPUT, "byte " + i);
    }
  }

  /** A framed exact index whose payload is its header alone: it claims rows the file does not hold. */
  private Path headerOnly(String name, int dimension, Metric metric, long rows, boolean hasIds) {
    Path file = dir.resolve(name);
    ExactIndex.FORMAT.write(file, out -> {
      out.writeInt(dimension);
      out.writeInt(metric.code());
      out.writeLong(rows);
      out.writeBoolean(hasIds);
    });
    return file;
  }

  @Test
  void aCountLargerThanTheFileIsRefusedBeforeAllocating() {
    Path file = headerOnly("liar.bin", 1024, Metric.L2, 1_000_000, false);
    assertRefused(file, "claims");
  }

  @Test
  void rowCountsPastTwoGigabytesAreSizedInLongs() {
    // 20 M rows x 128 floats: 10 240 000 000 bytes, more than an int holds.
    Path file = headerOnly("big.bin", 128, Metric.INNER_PRODUCT, 20_000_000, true);
    assertRefused(file, "claims " + (20_000_000L * 128 * 4 + 20_000_000L * 8) + " bytes");
  }

  @Test
  void payloadSizesAreLongsAndACountNoLongHoldsIsCorrupt() {
    long rows = 5_000_000 + new Random(seed).nextInt(1000);
    assertEquals(rows * 128 * 4, ExactIndex.payloadBytes(rows, 128, false));
    assertEquals(rows * 128 * 4 + rows * 8, ExactIndex.payloadBytes(rows, 128, true));
    IscException e = assertThrows(IscException.class, () -> ExactIndex.payloadBytes(Long.MAX_VALUE / 300, 128, true));
    assertEquals(IscException.Kind.CORRUPT_DATA, e.kind());
  }

  /** Version 1: magic, the payload, a CRC-32 of both. */
  private byte[] version1() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(new byte[] {'I', 'S', 'C', 'X', 'I', 'D', 'X', '1'});
      out.writeInt(DIM);
      out.writeInt(Metric.L2.code());
      out.writeLong(3);
      out.writeBoolean(true);
      ByteBuffer floats = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      floats.asFloatBuffer().put(values);
      out.write(floats.array());
      for (long id : ids) {
        out.writeLong(id);
      }
      CRC32 crc = new CRC32();
      crc.update(bytes.toByteArray());
      out.writeLong(crc.getValue());
    }
    return bytes.toByteArray();
  }

  @Test
  void filesOfVersion1StillReadAndTheirDamageIsRefused() throws Exception {
    byte[] old = version1();
    Path file = dir.resolve("old.bin");
    Files.write(file, old);
    try (VectorIndex back = VectorIndex.load(file)) {
      assertHoldsTheVectors(back);
    }
    old[30] ^= 0x10;
    Files.write(file, old);
    assertRefused(file, "checksum");
    Files.write(file, java.util.Arrays.copyOf(version1(), 40));
    assertRefused(file, "truncated");
  }
}
