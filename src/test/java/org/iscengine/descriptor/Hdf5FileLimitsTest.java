package org.iscengine.descriptor;

import static org.bytedeco.hdf5.global.hdf5.H5D_CHUNKED;
import static org.bytedeco.hdf5.global.hdf5.H5D_COMPACT;
import static org.bytedeco.hdf5.global.hdf5.H5D_CONTIGUOUS;
import static org.bytedeco.hdf5.global.hdf5.H5Dget_chunk_storage_size;
import static org.bytedeco.hdf5.global.hdf5.H5Dget_offset;
import static org.bytedeco.hdf5.global.hdf5.H5Dopen2;
import static org.bytedeco.hdf5.global.hdf5.H5Dread_chunk;
import static org.bytedeco.hdf5.global.hdf5.H5Dwrite_chunk;
import static org.bytedeco.hdf5.global.hdf5.H5F_ACC_RDWR;
import static org.bytedeco.hdf5.global.hdf5.H5Fopen;
import static org.bytedeco.hdf5.global.hdf5.H5Pset_fletcher32;
import static org.bytedeco.hdf5.global.hdf5.H5Pset_layout;
import static org.bytedeco.hdf5.global.hdf5.H5Pset_shuffle;
import static org.bytedeco.hdf5.global.hdf5.H5T_CSET_UTF8;
import static org.bytedeco.hdf5.global.hdf5.H5Tset_cset;
import static org.bytedeco.hdf5.global.hdf5.H5Dclose;
import static org.bytedeco.hdf5.global.hdf5.H5Dcreate2;
import static org.bytedeco.hdf5.global.hdf5.H5Dwrite;
import static org.bytedeco.hdf5.global.hdf5.H5F_ACC_TRUNC;
import static org.bytedeco.hdf5.global.hdf5.H5Fclose;
import static org.bytedeco.hdf5.global.hdf5.H5Fcreate;
import static org.bytedeco.hdf5.global.hdf5.H5P_CLS_DATASET_CREATE_ID_g;
import static org.bytedeco.hdf5.global.hdf5.H5P_DEFAULT;
import static org.bytedeco.hdf5.global.hdf5.H5Pclose;
import static org.bytedeco.hdf5.global.hdf5.H5Pcreate;
import static org.bytedeco.hdf5.global.hdf5.H5Pset_chunk;
import static org.bytedeco.hdf5.global.hdf5.H5Pset_deflate;
import static org.bytedeco.hdf5.global.hdf5.H5S_ALL;
import static org.bytedeco.hdf5.global.hdf5.H5Sclose;
import static org.bytedeco.hdf5.global.hdf5.H5Screate_simple;
import static org.bytedeco.hdf5.global.hdf5.H5T_C_S1_g;
import static org.bytedeco.hdf5.global.hdf5.H5T_NATIVE_DOUBLE_g;
import static org.bytedeco.hdf5.global.hdf5.H5T_NATIVE_FLOAT_g;
import static org.bytedeco.hdf5.global.hdf5.H5T_STR_NULLPAD;
import static org.bytedeco.hdf5.global.hdf5.H5T_VARIABLE;
import static org.bytedeco.hdf5.global.hdf5.H5Tclose;
import static org.bytedeco.hdf5.global.hdf5.H5Tcopy;
import static org.bytedeco.hdf5.global.hdf5.H5Tset_size;
import static org.bytedeco.hdf5.global.hdf5.H5Tset_strpad;
import static org.iscengine.testing.FileBytes.indexOf;
import static org.iscengine.testing.FileBytes.intAt;
import static org.iscengine.testing.FileBytes.longAt;
import static org.iscengine.testing.FileBytes.withInt;
import static org.iscengine.testing.FileBytes.withLong;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.errors.IscException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HDF5 files of a few kilobytes that declare datasets of gigabytes or terabytes (chunked datasets
 * whose chunks were never written), or variable-length strings of gigabytes, are refused before
 * anything is allocated for them.
 */
class Hdf5FileLimitsTest {
  private static final String VLEN_FINDING =
      "/org/iscengine/fuzz/DescriptorFuzzTestInputs/hdf5/finding-DescriptorFuzzTest-hdf5-vlen-strings-slow";
  private static final String HEAP_FINDING =
      "/org/iscengine/fuzz/DescriptorFuzzTestInputs/hdf5/finding-DescriptorFuzzTest-hdf5-vlen-heap-index-crash";
  private static final String[] NAMES = {"Q00001", "R000002", "é-ü", "", "R1000000", "x", "last one"};
  /** A declared string length HDF5 would allocate and clear before reading the string. */
  private static final int HUGE_LENGTH = 0x70000000;

  @TempDir Path dir;

  @Test
  void variableLengthStringsReadBackFromEachStorage() {
    List<String> expected = List.of(NAMES);
    for (Path file : List.of(writeStrings("contiguous.h5", H5D_CONTIGUOUS, false),
        writeStrings("chunked.h5", H5D_CHUNKED, false), writeStrings("filtered.h5", H5D_CHUNKED, true))) {
      try (Hdf5File h5 = Hdf5File.open(file)) {
        assertEquals(expected, h5.readStrings("image_names"), file.getFileName().toString());
      }
    }
  }

  @Test
  void compactVariableLengthStringsAreRefusedAsUnsupported() {
    Path file = writeStrings("compact.h5", H5D_COMPACT, false);
    try (Hdf5File h5 = Hdf5File.open(file)) {
      var e = assertThrows(IscException.class, () -> h5.readStrings("image_names"));
      assertEquals(IscException.Kind.UNSUPPORTED, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains("compact.h5") && e.getMessage().contains("compact"), e.getMessage());
    }
  }

  @Test
  void theFuzzFindingsStringsAreRefusedQuicklyInBoundedMemory() throws Exception {
    Path slow = dir.resolve("slow.h5");
    Path crash = dir.resolve("crash.h5");
    for (Path file : List.of(slow, crash)) {
      try (InputStream in = Hdf5FileLimitsTest.class.getResourceAsStream(file == slow ? VLEN_FINDING : HEAP_FINDING)) {
        Files.write(file, in.readAllBytes());
      }
    }
    assertStringsRefusedQuickly(List.of(slow, crash));
  }

  @Test
  void stringsReferringToObjectsTheirHeapDoesNotHoldAreRefusedWithoutACrash() throws Exception {
    Path written = writeStrings("heap.h5", H5D_CONTIGUOUS, false);
    byte[] valid = Files.readAllBytes(written);
    // Each descriptor: the string's length (4 bytes), its heap collection's address (8), its
    // object's index in the collection (4). The collection: "GCOL", version, 3 reserved bytes, its
    // size (8), then objects: index (2), reference count (2), reserved (4), size (8), data.
    int descriptors = (int) descriptorsOffset(written);
    int heap = indexOf(valid, "GCOL");
    assertEquals(heap, (int) longAt(valid, descriptors + 4));
    Map<String, byte[]> damaged = new LinkedHashMap<>();
    damaged.put("index-missing", withInt(valid, descriptors + 12, 12035));
    damaged.put("index-zero", withInt(valid, descriptors + 12, 0));
    damaged.put("length-other", withInt(valid, descriptors, intAt(valid, descriptors) + 1));
    damaged.put("address-inside", withLong(valid, descriptors + 4, heap + 8));
    damaged.put("address-past-end", withLong(valid, descriptors + 4, 1L << 40));
    damaged.put("address-negative", withLong(valid, descriptors + 4, -1));
    damaged.put("collection-size-huge", withLong(valid, heap + 8, 1L << 40));
    damaged.put("collection-size-tiny", withLong(valid, heap + 8, 8));
    damaged.put("object-size-huge", withLong(valid, heap + 24, 1L << 40));
    damaged.put("object-size-past-collection", withLong(valid, heap + 24, longAt(valid, heap + 8)));
    List<Path> files = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : damaged.entrySet()) {
      files.add(Files.write(dir.resolve(e.getKey() + ".h5"), e.getValue()));
    }
    assertStringsRefusedQuickly(files);
  }

  @Test
  void stringsDeclaringGigabytesAreRefusedQuicklyInBoundedMemory() throws Exception {
    Path contiguous = writeStrings("contiguous.h5", H5D_CONTIGUOUS, false);
    long offset = descriptorsOffset(contiguous);
    try (RandomAccessFile raf = new RandomAccessFile(contiguous.toFile(), "rw")) {
      raf.seek(offset);  // the first string's descriptor starts with its length, little-endian
      raf.write(new byte[] {0, 0, 0, 0x70});
    }
    Path chunked = damageChunk(writeStrings("chunked.h5", H5D_CHUNKED, false), false, 0, HUGE_LENGTH);
    Path filtered = damageChunk(writeStrings("filtered.h5", H5D_CHUNKED, true), true, 0, HUGE_LENGTH);
    // Two chunks each declaring less than the file, together more.
    Path spread = writeStrings("spread.h5", H5D_CHUNKED, true);
    int twoThirds = (int) (Files.size(spread) * 2 / 3);
    damageChunk(damageChunk(spread, true, 0, twoThirds), true, 3, twoThirds);
    assertStringsRefusedQuickly(List.of(contiguous, chunked, filtered, spread));
  }

  /**
   * Reads the strings of each file in a child JVM, which reports the time the read took and how
   * far it raised the process's peak memory: each must be refused as corrupt within 1 s and 64 MB.
   */
  private static void assertStringsRefusedQuickly(List<Path> files) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), StringsReadChild.class.getName()));
    files.forEach(f -> command.add(f.toString()));
    Process child = new ProcessBuilder(command).directory(files.get(0).getParent().toFile())
        .redirectErrorStream(true).start();
    String text = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the child JVM finishes");
    assertEquals(0, child.exitValue(), text);
    List<String> results = text.lines().filter(l -> l.startsWith(StringsReadChild.PREFIX)).toList();
    assertEquals(files.size(), results.size(), text);
    for (String line : results) {
      String[] parts = line.substring(StringsReadChild.PREFIX.length()).split("\t", 5);
      assertEquals(IscException.Kind.CORRUPT_DATA.name(), parts[1], line);
      assertTrue(parts[4].contains(parts[0]) && parts[4].contains("image_names"), "names file and dataset: " + line);
      assertTrue(Long.parseLong(parts[2]) < 1000, "refused within 1 s: " + line);
      assertTrue(Long.parseLong(parts[3]) < 64, "peak memory grew less than 64 MB: " + line);
    }
  }

  /** Where the descriptors of a contiguous "image_names" start in its file. */
  private static long descriptorsOffset(Path file) {
    long f = H5Fopen(file.toString(), H5F_ACC_RDWR(), H5P_DEFAULT);
    long d = H5Dopen2(f, "image_names", H5P_DEFAULT);
    long offset = H5Dget_offset(d);
    H5Dclose(d);
    H5Fclose(f);
    assertTrue(offset > 0);
    return offset;
  }

  /** Sets the declared length of the first string of the chunk at origin (deflated and shuffled or not). */
  private static Path damageChunk(Path file, boolean filtered, long first, int declared) throws DataFormatException {
    long f = H5Fopen(file.toString(), H5F_ACC_RDWR(), H5P_DEFAULT);
    long d = H5Dopen2(f, "image_names", H5P_DEFAULT);
    long[] origin = {first};
    long[] size = new long[1];
    assertTrue(H5Dget_chunk_storage_size(d, origin, size) >= 0);
    int[] mask = new int[1];
    byte[] stored = new byte[(int) size[0]];
    try (BytePointer p = new BytePointer(size[0])) {
      assertTrue(H5Dread_chunk(d, H5P_DEFAULT, origin, mask, p) >= 0);
      p.get(stored);
    }
    byte[] chunk = stored;
    if (filtered) {
      Inflater inflater = new Inflater();
      inflater.setInput(stored);
      byte[] out = new byte[1 << 16];
      chunk = Arrays.copyOf(out, inflater.inflate(out));
      inflater.end();
    }
    int elements = chunk.length / 16;
    boolean shuffled = filtered && (mask[0] & 1) == 0;  // HDF5 may skip the shuffle (bit 0 of the mask)
    for (int b = 0; b < 4; b++) {  // shuffled: byte b of element 0 is at b * elements
      chunk[shuffled ? b * elements : b] = (byte) (declared >>> (8 * b));
    }
    if (filtered) {
      Deflater deflater = new Deflater(6);
      deflater.setInput(chunk);
      deflater.finish();
      byte[] out = new byte[1 << 16];
      chunk = Arrays.copyOf(out, deflater.deflate(out));
      deflater.end();
    }
    try (BytePointer p = new BytePointer(chunk.length)) {
      p.put(chunk);
      assertTrue(H5Dwrite_chunk(d, H5P_DEFAULT, mask[0], origin, chunk.length, p) >= 0);
    }
    H5Dclose(d);
    H5Fclose(f);
    return file;
  }

  /** NAMES as variable-length UTF-8 strings, contiguous, compact, or in chunks of 3 (filtered: shuffle and deflate). */
  private Path writeStrings(String name, int layout, boolean filtered) {
    Path file = dir.resolve(name);
    try (Hdf5File init = Hdf5File.create(dir.resolve("init.h5"))) {
      // initialises HDF5
    }
    long f = H5Fcreate(file.toString(), H5F_ACC_TRUNC(), H5P_DEFAULT, H5P_DEFAULT);
    long type = H5Tcopy(H5T_C_S1_g());
    H5Tset_size(type, H5T_VARIABLE());
    H5Tset_cset(type, H5T_CSET_UTF8);
    long space = H5Screate_simple(1, new long[] {NAMES.length}, (long[]) null);
    long plist = H5Pcreate(H5P_CLS_DATASET_CREATE_ID_g());
    if (layout == H5D_CHUNKED) {
      H5Pset_chunk(plist, 1, new long[] {3});
      if (filtered) {
        H5Pset_shuffle(plist);
        H5Pset_deflate(plist, 6);
      }
    } else {
      H5Pset_layout(plist, layout);
    }
    long d = H5Dcreate2(f, "image_names", type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
    assertTrue(f >= 0 && d >= 0, "HDF5 could not write the test file");
    List<BytePointer> strings = new ArrayList<>();
    try (PointerPointer<BytePointer> p = new PointerPointer<>(NAMES.length)) {
      for (int i = 0; i < NAMES.length; i++) {
        byte[] utf8 = NAMES[i].getBytes(StandardCharsets.UTF_8);
        BytePointer s = new BytePointer(utf8.length + 1);
        s.put(utf8).put(utf8.length, (byte) 0);
        strings.add(s);
        p.put(i, s);
      }
      assertTrue(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, p) >= 0);
    }
    strings.forEach(BytePointer::close);
    H5Dclose(d);
    H5Pclose(plist);
    H5Sclose(space);
    H5Tclose(type);
    H5Fclose(f);
    return file;
  }

  /** Reads "image_names" from each file, printing "name, kind, milliseconds, peak memory growth (MB), message". */
  static final class StringsReadChild {
    static final String PREFIX = "strings\t";

    public static void main(String[] args) throws Exception {
      for (String arg : args) {
        Path file = Path.of(arg);
        try (Hdf5File h5 = Hdf5File.open(file)) {
          long before = peakMegabytes();
          long start = System.nanoTime();
          String result;
          try {
            result = "READ\t" + h5.readStrings("image_names").size() + " strings";
          } catch (IscException e) {
            result = e.kind() + "\t" + e.getMessage();
          } catch (RuntimeException e) {
            result = e.getClass().getName() + "\t" + e.getMessage();
          }
          long millis = (System.nanoTime() - start) / 1_000_000;
          String[] kindAndMessage = result.split("\t", 2);
          System.out.println(PREFIX + file.getFileName() + "\t" + kindAndMessage[0] + "\t" + millis + "\t"
              + (peakMegabytes() - before) + "\t" + kindAndMessage[1].replace('\n', ' '));
        }
      }
    }

    private static long peakMegabytes() throws java.io.IOException {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        }
      }
      throw new IllegalStateException("no VmHWM in /proc/self/status");
    }
  }

  @Test
  void aCompressedChunkedMatrixThatIsWrittenReadsBack() {
    Path file = dir.resolve("compressed.h5");
    try (Hdf5File init = Hdf5File.create(dir.resolve("init.h5"))) {
      // initialises HDF5
    }
    float[] values = new float[300 * 64];
    java.util.Random random = new java.util.Random();
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    long f = H5Fcreate(file.toString(), H5F_ACC_TRUNC(), H5P_DEFAULT, H5P_DEFAULT);
    long space = H5Screate_simple(2, new long[] {300, 64}, (long[]) null);
    long plist = H5Pcreate(H5P_CLS_DATASET_CREATE_ID_g());
    H5Pset_chunk(plist, 2, new long[] {50, 64});
    H5Pset_deflate(plist, 9);
    long d = H5Dcreate2(f, "vectors", H5T_NATIVE_FLOAT_g(), space, H5P_DEFAULT, plist, H5P_DEFAULT);
    try (FloatPointer p = new FloatPointer(values)) {
      assertTrue(H5Dwrite(d, H5T_NATIVE_FLOAT_g(), H5S_ALL, H5S_ALL, H5P_DEFAULT, p) >= 0);
    }
    H5Dclose(d);
    H5Pclose(plist);
    H5Sclose(space);
    H5Fclose(f);
    try (Hdf5File h5 = Hdf5File.open(file);
        Tensor m = h5.readFloatMatrix("vectors")) {
      assertArrayEquals(new long[] {300, 64}, m.shape());
      float[] read = new float[values.length];
      try (Tensor c = m.contiguous(); FloatPointer p = new FloatPointer(c.data_ptr())) {
        p.get(read);
      }
      assertArrayEquals(values, read, 0f);
    }
  }

  @Test
  void aMatrixOfEightyGigabytesInASmallFileIsCorrupt() {
    for (boolean deflate : new boolean[] {false, true}) {
      Path file = declare("matrix-" + deflate + ".h5", "vectors", H5T_NATIVE_FLOAT_g(), new long[] {10_000_000, 2048},
          new long[] {16, 2048}, deflate);
      assertCorrupt(file, "vectors", h5 -> h5.readFloatMatrix("vectors"));
    }
  }

  @Test
  void aBillionDoublesInASmallFileAreCorrupt() {
    Path file = declare("doubles.h5", "values", H5T_NATIVE_DOUBLE_g(), new long[] {10_000_000_000L},
        new long[] {4096}, false);
    assertCorrupt(file, "values", h5 -> h5.readDoubles("values"));
  }

  @Test
  void fixedStringsWhoseTotalOverflowsAnIntAreCorrupt() {
    long type = H5Tcopy(H5T_C_S1_g());
    H5Tset_size(type, 4096);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    Path file = declare("fixed.h5", "image_names", type, new long[] {1_000_000_000}, new long[] {64}, false);
    H5Tclose(type);
    assertCorrupt(file, "image_names", h5 -> h5.readStrings("image_names"));
  }

  @Test
  void aBillionVariableLengthStringsAreCorrupt() {
    long type = H5Tcopy(H5T_C_S1_g());
    H5Tset_size(type, H5T_VARIABLE());
    Path file = declare("vlen.h5", "image_names", type, new long[] {1_000_000_000}, new long[] {1024}, false);
    H5Tclose(type);
    assertCorrupt(file, "image_names", h5 -> h5.readStrings("image_names"));
  }

  private void assertCorrupt(Path file, String dataset, Function<Hdf5File, Object> read) {
    try (Hdf5File h5 = Hdf5File.open(file)) {
      var e = assertThrows(IscException.class, () -> read.apply(h5));
      assertEquals(IscException.Kind.CORRUPT_DATA, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains(file.getFileName().toString()) && e.getMessage().contains(dataset),
          e.getMessage());
    }
  }

  /** A file with one chunked dataset whose chunks are never written: small on disk, huge as declared. */
  private Path declare(String name, String dataset, long type, long[] shape, long[] chunk, boolean deflate) {
    Path file = dir.resolve(name);
    try (Hdf5File init = Hdf5File.create(dir.resolve("init.h5"))) {
      // loads Hdf5File, which initialises HDF5 and silences its error printing
    }
    long f = H5Fcreate(file.toString(), H5F_ACC_TRUNC(), H5P_DEFAULT, H5P_DEFAULT);
    long space = H5Screate_simple(shape.length, shape, (long[]) null);
    long plist = H5Pcreate(H5P_CLS_DATASET_CREATE_ID_g());
    H5Pset_chunk(plist, chunk.length, chunk);
    if (deflate) {
      H5Pset_deflate(plist, 6);
    }
    long d = H5Dcreate2(f, dataset, type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
    assertTrue(f >= 0 && space >= 0 && plist >= 0 && d >= 0, "HDF5 could not write the test file");
    H5Dclose(d);
    H5Pclose(plist);
    H5Sclose(space);
    H5Fclose(f);
    assertTrue(file.toFile().length() < 1 << 20, "a small file");
    return file;
  }
}
