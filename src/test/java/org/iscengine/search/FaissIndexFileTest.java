package org.iscengine.search;

import static org.iscengine.testing.FileBytes.indexOf;
import static org.iscengine.testing.FileBytes.longAt;
import static org.iscengine.testing.FileBytes.withByte;
import static org.iscengine.testing.FileBytes.withInt;
import static org.iscengine.testing.FileBytes.withLong;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.errors.IscException;
import org.iscengine.kernels.Metric;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Damaged FAISS index files are refused as corrupt data, naming the file, and never crash the
 * JVM: the loads run in a child JVM, so a crash fails the test instead of ending the test run.
 */
class FaissIndexFileTest {
  private static final String FINDING =
      "/org/iscengine/fuzz/StoreFuzzTestInputs/snapshot/finding-StoreFuzzTest-snapshot-faiss-idmap2-sigsegv";
  private static final long[] IDS = {100, 101, 102, 103, 104};

  @TempDir
  Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"Flat", "IDMap,Flat", "IDMap2,Flat", "IDMap2,HNSW16", "HNSW16", "IVF4,Flat", "IVF4,SQ8",
      "IDMap2,IVF4,Flat"})
  void indexesReadBackAsSaved(String description) {
    Path file = dir.resolve("index.faiss");
    try (Tensor vectors = RandomTensors.uniform(7, -1, 1, 300, 4);
        Tensor queries = RandomTensors.uniform(9, -1, 1, 5, 4);
        FaissIndex index = FaissIndex.create(4, description, Metric.L2)) {
      long[] ids = new long[300];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = 1000 + 3L * i;
      }
      index.train(vectors);
      if (description.startsWith("IDMap")) {
        index.add(vectors, ids);
      } else {
        index.add(vectors);
      }
      index.save(file);
      try (VectorIndex back = VectorIndex.load(file)) {
        assertEquals(300, back.size());
        assertEquals(4, back.dimension());
        Neighbors before = index.search(queries, 10);
        Neighbors after = back.search(queries, 10);
        assertArrayEquals(before.ids(), after.ids());
        assertArrayEquals(before.scores(), after.scores());
      }
    }
  }

  @Test
  void theFuzzFindingIsRefusedWithoutACrash() throws Exception {
    byte[] input;
    try (InputStream in = FaissIndexFileTest.class.getResourceAsStream(FINDING)) {
      input = in.readAllBytes();
    }
    // The snapshot fuzz target's layout: a 4-byte length, that many bytes of id map, then the index.
    int idsLength = Integer.remainderUnsigned(ByteBuffer.wrap(input).getInt(0), input.length - 4 + 1);
    byte[] index = Arrays.copyOfRange(input, 4 + idsLength, input.length);
    assertEquals("IxM2", new String(index, 0, 4, StandardCharsets.US_ASCII));
    Path dir = Files.createDirectories(this.dir.resolve("finding"));
    Files.write(dir.resolve("finding.faiss"), index);
    assertAllRefusedAsCorrupt(dir, 1);
  }

  @Test
  void damagedIdMapFilesAreRefused() throws Exception {
    byte[] valid = Files.readAllBytes(idMap2Flat(dir.resolve("valid.faiss")));
    // "IxM2", d, ntotal, two unused counts, is_trained, metric; then the flat index ("IxFI", the
    // same header, the count of floats, the floats); then the count of ids and the ids.
    assertEquals(210, valid.length);
    assertEquals("IxM2", new String(valid, 0, 4, StandardCharsets.US_ASCII));
    assertEquals("IxFI", new String(valid, 37, 4, StandardCharsets.US_ASCII));
    Path out = Files.createDirectories(dir.resolve("damaged"));
    Map<String, byte[]> damaged = new LinkedHashMap<>();
    damaged.put("outer-ntotal-huge", withLong(valid, 8, 1L << 40));
    damaged.put("outer-ntotal-plus-one", withLong(valid, 8, IDS.length + 1));
    damaged.put("outer-ntotal-as-found", withLong(valid, 8, 0x8c000002L));
    damaged.put("outer-ntotal-negative", withLong(valid, 8, -1));
    damaged.put("outer-dim-other", withInt(valid, 4, 0x00200004));
    damaged.put("outer-dim-zero", withInt(valid, 4, 0));
    damaged.put("metric-unknown", withInt(valid, 33, 99));
    damaged.put("inner-ntotal-huge", withLong(valid, 45, 1L << 40));
    damaged.put("inner-dim-huge", withInt(valid, 41, Integer.MAX_VALUE));
    damaged.put("codes-count-huge", withLong(valid, 74, 1L << 39));
    damaged.put("codes-count-short", withLong(valid, 74, 16));
    damaged.put("ids-count-plus-one", withLong(valid, 162, IDS.length + 1));
    damaged.put("ids-count-minus-one", withLong(valid, 162, IDS.length - 1));
    damaged.put("ids-count-huge", withLong(valid, 162, 1L << 39));
    damaged.put("ids-duplicate", withLong(valid, 178, IDS[0]));
    damaged.put("inner-type-unknown", withInt(valid, 37, 0x3f3f3f3f));
    damaged.put("trailing-bytes", Arrays.copyOf(valid, valid.length + 8));
    for (int length = 0; length < valid.length; length++) {
      damaged.put("truncated-" + length, Arrays.copyOf(valid, length));
    }
    for (Map.Entry<String, byte[]> e : damaged.entrySet()) {
      Files.write(out.resolve(e.getKey() + ".faiss"), e.getValue());
    }
    assertAllRefusedAsCorrupt(out, damaged.size());
  }

  @Test
  void damagedIvfFilesAreRefused() throws Exception {
    byte[] valid = Files.readAllBytes(ivfFlat(dir.resolve("valid.faiss")));
    // "IwFl", the index header, nlist, nprobe, the quantizer (a flat index), the direct map (its
    // type and an empty array), then the inverted lists: "ilar", nlist, code size, "full", the
    // list sizes (a counted vector), each list's codes and ids.
    assertEquals("IwFl", new String(valid, 0, 4, StandardCharsets.US_ASCII));
    assertEquals("IxFI", new String(valid, 53, 4, StandardCharsets.US_ASCII));
    int lists = indexOf(valid, "ilar");
    assertEquals("full", new String(valid, lists + 20, 4, StandardCharsets.US_ASCII));
    int directMap = lists - 9;
    Path out = Files.createDirectories(dir.resolve("damaged"));
    Map<String, byte[]> damaged = new LinkedHashMap<>();
    damaged.put("nlist-huge", withLong(valid, 37, 1L << 40));
    damaged.put("nlist-plus-one", withLong(valid, 37, 5));
    damaged.put("ntotal-plus-one", withLong(valid, 8, 41));
    damaged.put("direct-map-type-unknown", withByte(valid, directMap, 7));
    damaged.put("direct-map-count-huge", withLong(valid, directMap + 1, 1L << 39));
    damaged.put("lists-nlist-huge", withLong(valid, lists + 4, 1L << 40));
    damaged.put("lists-code-size-other", withLong(valid, lists + 12, 8));
    damaged.put("lists-code-size-huge", withLong(valid, lists + 12, 1L << 40));
    damaged.put("lists-kind-unknown", withInt(valid, lists + 20, 0x3f3f3f3f));
    damaged.put("sizes-count-huge", withLong(valid, lists + 24, 1L << 40));
    damaged.put("sizes-count-other", withLong(valid, lists + 24, 3));
    damaged.put("first-size-huge", withLong(valid, lists + 32, 1L << 40));
    damaged.put("first-size-plus-one", withLong(valid, lists + 32, longAt(valid, lists + 32) + 1));
    damaged.put("trailing-bytes", Arrays.copyOf(valid, valid.length + 8));
    for (int length = 0; length < valid.length; length += length < lists + 64 ? 1 : 7) {
      damaged.put("truncated-" + length, Arrays.copyOf(valid, length));
    }
    for (Map.Entry<String, byte[]> e : damaged.entrySet()) {
      Files.write(out.resolve(e.getKey() + ".faiss"), e.getValue());
    }
    assertAllRefusedAsCorrupt(out, damaged.size());
  }

  /** Loads every file of the folder in a child JVM; each must be refused as corrupt, by name. */
  private static void assertAllRefusedAsCorrupt(Path folder, int files) throws Exception {
    List<IndexLoadChild.Result> results = IndexLoadChild.run(folder);
    assertEquals(files, results.size(), "one result per file");
    for (IndexLoadChild.Result r : results) {
      assertEquals(IscException.Kind.CORRUPT_DATA.name(), r.outcome(), () -> "refused as corrupt: " + r);
      assertTrue(r.message().contains(r.name()), () -> "the message names the file: " + r);
      assertTrue(r.peakGrowthMegabytes() < 64, () -> "in bounded memory: " + r);
    }
  }

  private static Path idMap2Flat(Path file) {
    try (FaissIndex index = FaissIndex.create(4, "IDMap2,Flat", Metric.INNER_PRODUCT);
        Tensor vectors = RandomTensors.uniform(7, -1, 1, IDS.length, 4)) {
      index.add(vectors, IDS);
      index.save(file);
    }
    return file;
  }

  private static Path ivfFlat(Path file) {
    try (FaissIndex index = FaissIndex.create(4, "IVF4,Flat", Metric.INNER_PRODUCT);
        Tensor vectors = RandomTensors.uniform(8, -1, 1, 40, 4)) {
      index.train(vectors);
      index.add(vectors);
      index.save(file);
    }
    return file;
  }
}
