package org.iscengine.descriptor;

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
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.errors.IscException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HDF5 files of a few kilobytes that declare datasets of gigabytes or terabytes (chunked datasets
 * whose chunks were never written) are refused before anything is allocated for them.
 */
class Hdf5FileLimitsTest {
  @TempDir Path dir;

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
