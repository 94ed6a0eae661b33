package org.iscengine.descriptor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.errors.IscException;
import org.iscengine.testing.FileBytes;
import org.iscengine.testing.IscAssert;
import org.iscengine.testing.RandomTensors;
import org.iscengine.testing.TensorAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DescriptorFilesTest {
  @TempDir Path dir;

  private static List<String> ids(String prefix, String format, int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(prefix + String.format(format, i));
    }
    return ids;
  }

  private static Descriptors random(long seed, List<String> ids, int dim) {
    return new Descriptors(ids, RandomTensors.uniform(seed, -1, 1, ids.size(), dim));
  }

  @Test
  void splitFilesRoundTripExactly() {
    Path file = dir.resolve("train.h5");
    try (Descriptors d = random(1, ids("img_", "%d.jpg", 37), 19)) {
      DescriptorFiles.write(file, d);
      try (Descriptors back = DescriptorFiles.read(file)) {
        assertEquals(d.ids(), back.ids());
        TensorAssert.assertEqual(d.vectors(), back.vectors());
      }
    }
  }

  @Test
  void severalSplitFilesConcatenateInOrder() {
    try (Descriptors a = random(2, ids("a", "%03d", 5), 8);
        Descriptors b = random(3, ids("b", "%03d", 7), 8)) {
      DescriptorFiles.write(dir.resolve("a.h5"), a);
      DescriptorFiles.write(dir.resolve("b.h5"), b);
      try (Descriptors all = DescriptorFiles.read(List.of(dir.resolve("a.h5"), dir.resolve("b.h5")))) {
        assertEquals(12, all.size());
        assertEquals("b000", all.ids().get(5));
        try (Tensor tail = all.vectors().narrow(0, 5, 7)) {
          TensorAssert.assertEqual(b.vectors(), tail);
        }
      }
      var e = assertThrows(IllegalArgumentException.class,
          () -> DescriptorFiles.read(List.of(dir.resolve("a.h5"), dir.resolve("a.h5"))));
      assertTrue(e.getMessage().contains("duplicate id 'a000'"), e.getMessage());
    }
  }

  @Test
  void submissionsRoundTripAndFollowTheRules() {
    Path file = dir.resolve("submission.h5");
    try (Descriptors q = random(4, ids("Q", "%05d", 11), 256);
        Descriptors r = random(5, ids("R", "%06d", 23), 256)) {
      DescriptorFiles.writeSubmission(file, q, r, true);
      try (DescriptorFiles.Submission s = DescriptorFiles.readSubmission(file, true)) {
        assertEquals(q.ids(), s.queries().ids());
        assertEquals(r.ids(), s.references().ids());
        TensorAssert.assertEqual(r.vectors(), s.references().vectors());
      }
    }
    try (Descriptors q = random(6, ids("Q", "%05d", 3), 257);
        Descriptors r = random(7, ids("R", "%06d", 3), 257)) {
      var e = assertThrows(IllegalArgumentException.class, () -> DescriptorFiles.writeSubmission(file, q, r, true));
      assertTrue(e.getMessage().contains("257 dimensions"), e.getMessage());
      DescriptorFiles.writeSubmission(dir.resolve("loose.h5"), q, r, false);  // allowed when not checking the rules
    }
    try (Descriptors q = random(8, List.of("Q00000", "query1"), 4);
        Descriptors r = random(9, ids("R", "%06d", 2), 4)) {
      var e = assertThrows(IllegalArgumentException.class, () -> DescriptorFiles.writeSubmission(file, q, r, true));
      assertTrue(e.getMessage().contains("'query1'") && e.getMessage().contains("Q00000"), e.getMessage());
    }
  }

  @Test
  void nonFiniteValuesAreRejectedNamingTheId() {
    Path file = dir.resolve("nan.h5");
    try (Descriptors d = random(10, ids("x", "%d", 6), 5)) {
      try (Tensor row = d.vectors().select(0, 4);
          Tensor item = row.select(0, 2)) {
        item.fill_(new org.bytedeco.pytorch.Scalar(Double.NaN));
      }
      // Written without checks through the low-level file, as another tool might.
      try (Hdf5File h5 = Hdf5File.create(file)) {
        h5.writeFloatMatrix(DescriptorFiles.VECTORS, d.vectors());
        h5.writeStrings(DescriptorFiles.IMAGE_NAMES, d.ids());
      }
    }
    var e = assertThrows(IllegalArgumentException.class, () -> DescriptorFiles.read(file));
    assertTrue(e.getMessage().contains("'x4' (row 4)") && e.getMessage().contains("NaN"), e.getMessage());
  }

  @Test
  void missingCorruptAndTruncatedFilesGiveClearErrors() throws Exception {
    var missing = assertThrows(IllegalArgumentException.class, () -> DescriptorFiles.read(dir.resolve("none.h5")));
    assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());

    Path text = dir.resolve("text.h5");
    Files.writeString(text, "query_id,reference_id\n");
    var notHdf5 = assertThrows(IllegalArgumentException.class, () -> DescriptorFiles.read(text));
    assertTrue(notHdf5.getMessage().contains("not an HDF5 file"), notHdf5.getMessage());

    Path whole = dir.resolve("whole.h5");
    try (Descriptors d = random(11, ids("y", "%d", 2000), 64)) {
      DescriptorFiles.write(whole, d);
    }
    Path truncated = FileBytes.truncatedCopy(whole, dir.resolve("truncated.h5"), Files.size(whole) / 2);
    IscAssert.assertRefused(IscException.Kind.CORRUPT_DATA, () -> DescriptorFiles.read(truncated), "truncated.h5");

    Path wrongNames = dir.resolve("submission-as-split.h5");
    try (Descriptors q = random(12, ids("Q", "%05d", 2), 4)) {
      DescriptorFiles.writeSubmission(wrongNames, q, q.with(q.vectors().clone()), false);
    }
    var names = assertThrows(IllegalArgumentException.class, () -> DescriptorFiles.read(wrongNames));
    assertTrue(names.getMessage().contains("no dataset 'image_names'"), names.getMessage());
  }

  @Test
  void aFailedWriteKeepsThePreviousFile() throws Exception {
    Path file = dir.resolve("keep.h5");
    try (Descriptors d = random(13, ids("z", "%d", 4), 3)) {
      DescriptorFiles.write(file, d);
    }
    byte[] before = Files.readAllBytes(file);
    try (Descriptors dup = new Descriptors(List.of("a", "a"), torch.ones(2, 3))) {
      assertThrows(IllegalArgumentException.class, () -> DescriptorFiles.write(file, dup));
    }
    try (Descriptors nonAscii = new Descriptors(List.of("é"), torch.ones(1, 3))) {
      assertThrows(RuntimeException.class, () -> DescriptorFiles.write(file, nonAscii));
    }
    assertArrayEquals(before, Files.readAllBytes(file));
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count(), "no temporary file left behind");
    }
  }

  /** A file of the test resources (made by h5py, see make_fixtures.py there). */
  private static Path fixture(String name) throws Exception {
    return Path.of(DescriptorFilesTest.class.getResource("/descriptor/" + name).toURI());
  }

  @Test
  void readsFilesWrittenByH5py() throws Exception {
    try (Descriptors d = DescriptorFiles.read(fixture("split-vlen-utf8.h5"))) {
      assertEquals(List.of("a.jpg", "bb.jpg", "ccc.jpg", "d"), d.ids());
      assertArrayEquals(new double[] {0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1, 1.125, 1.25, 1.375},
          TensorAssert.values(d.vectors()), 0.0);
    }
    try (DescriptorFiles.Submission s = DescriptorFiles.readSubmission(fixture("submission-h5py.h5"), true)) {
      assertEquals(List.of("Q00000", "Q00001"), s.queries().ids());
      assertEquals(List.of("R000000", "R000001", "R000002"), s.references().ids());
      assertEquals(-1.75, TensorAssert.values(s.references().vectors())[14], 0.0);
    }
  }
}
