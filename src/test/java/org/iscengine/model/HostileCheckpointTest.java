package org.iscengine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.errors.IscException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints crafted to lie about their sizes are refused quickly, before anything large is allocated. */
class HostileCheckpointTest {
  @TempDir Path dir;

  @Test
  void anExpandedViewOfASmallStorageReadsAsTheSameValues() throws IOException {
    float[] values = randomFloats(4);
    Path file = checkpoint("expanded.pth", tensorPickle(4, 1, new long[] {3, 3}, new long[] {0, 1}), floatBytes(values));
    Map<String, Tensor> state = PyTorchCheckpoint.stateDict(file);
    Tensor w = state.get("w");
    assertEquals(9, w.numel());
    for (int row = 0; row < 3; row++) {
      for (int col = 0; col < 3; col++) {
        assertEquals(values[1 + col], w.get(row).get(col).item_float(), 0f);
      }
    }
  }

  @Test
  void aZeroStrideTensorOfFortyGigabytesIsRefused() throws IOException {
    Path file = checkpoint("stride0.pth", tensorPickle(4, 0, new long[] {100_000, 100_000}, new long[] {0, 0}),
        floatBytes(randomFloats(4)));
    var e = assertThrows(IscException.class, () -> PyTorchCheckpoint.read(file));
    assertEquals(IscException.Kind.OUT_OF_RESOURCES, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains("stride0.pth") && e.getMessage().contains("[100000, 100000]"), e.getMessage());
  }

  @Test
  void aTensorReachingPastItsStorageIsCorrupt() throws IOException {
    Path longer = checkpoint("longer.pth", tensorPickle(4, 0, new long[] {5}, new long[] {1}), floatBytes(randomFloats(4)));
    var e = assertThrows(IscException.class, () -> PyTorchCheckpoint.read(longer));
    assertEquals(IscException.Kind.CORRUPT_DATA, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains("longer.pth") && e.getMessage().contains("storage of 4"), e.getMessage());
    Path offset = checkpoint("offset.pth", tensorPickle(4, 3, new long[] {2, 2}, new long[] {2, 1}),
        floatBytes(randomFloats(4)));
    e = assertThrows(IscException.class, () -> PyTorchCheckpoint.read(offset));
    assertEquals(IscException.Kind.CORRUPT_DATA, e.kind(), e.getMessage());
  }

  @Test
  void aPickleDeclaringTwoGigabytesIsCorrupt() throws IOException {
    for (int opcode : new int[] {'B', 'X', 'T', 0x8b}) {  // BINBYTES, BINUNICODE, BINSTRING, LONG4
      byte[] pickle = {(byte) 0x80, 2, (byte) opcode, 0, 0, (byte) 0xf0, 0x7f, 'a', 'b', '.'};
      Path file = checkpoint("huge" + opcode + ".pth", pickle, floatBytes(randomFloats(4)));
      var e = assertThrows(IscException.class, () -> PyTorchCheckpoint.read(file));
      assertEquals(IscException.Kind.CORRUPT_DATA, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains(file.getFileName().toString()) && e.getMessage().contains("2146435072"),
          e.getMessage());
    }
  }

  @Test
  void aStorageInflatingPastItsDeclaredSizeIsCorrupt() throws IOException {
    byte[] bomb = new byte[64 << 20];
    java.util.Arrays.fill(bomb, (byte) 0x3f);
    Path file = checkpoint("bomb.pth", tensorPickle(4, 0, new long[] {4}, new long[] {1}), bomb);
    declareSize(file, "archive/data/0", 16);
    var e = assertThrows(IscException.class, () -> PyTorchCheckpoint.read(file));
    assertEquals(IscException.Kind.CORRUPT_DATA, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains("bomb.pth") && e.getMessage().contains("16 bytes"), e.getMessage());
  }

  @Test
  void aStorageDeclaringGigabytesIsRefusedBeforeItIsRead() throws IOException {
    Path file = checkpoint("declared.pth", tensorPickle(4, 0, new long[] {4}, new long[] {1}),
        floatBytes(randomFloats(4)));
    declareSize(file, "archive/data/0", 0xC000_0000L);
    var e = assertThrows(IscException.class, () -> PyTorchCheckpoint.read(file));
    assertEquals(IscException.Kind.OUT_OF_RESOURCES, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains("declared.pth") && e.getMessage().contains("3221225472"), e.getMessage());
  }

  @Test
  void aFileThatIsNotTorchScriptIsCorruptAndNamed() throws IOException {
    ModelConfig config = ModelConfig.torchScript(32);
    Path checkpoint = checkpoint("weights.pt", tensorPickle(4, 0, new long[] {4}, new long[] {1}),
        floatBytes(randomFloats(4)));
    byte[] noise = new byte[4096];
    new Random().nextBytes(noise);
    Path random = Files.write(dir.resolve("noise.pt"), noise);
    for (Path file : new Path[] {checkpoint, random}) {
      var e = assertThrows(IscException.class, () -> TorchScriptModel.load(file, config));
      assertEquals(IscException.Kind.CORRUPT_DATA, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains(file.getFileName().toString()) && e.getMessage().contains("TorchScript"),
          e.getMessage());
    }
  }

  @Test
  void anIscModelFileWhoseManifestInflatesToTensOfMegabytesIsRefused() throws IOException {
    Path file = dir.resolve("bomb.iscm");
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
      zip.putNextEntry(new ZipEntry("model.json"));
      zip.write("{\"format\": \"isc-model\", \"version\": 1".getBytes(StandardCharsets.US_ASCII));
      byte[] spaces = new byte[1 << 20];
      java.util.Arrays.fill(spaces, (byte) ' ');
      for (int i = 0; i < 64; i++) {
        zip.write(spaces);
      }
      zip.write('}');
      zip.closeEntry();
    }
    var e = assertThrows(IscException.class, () -> ModelFile.manifest(file));
    assertEquals(IscException.Kind.OUT_OF_RESOURCES, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains("bomb.iscm") && e.getMessage().contains("model.json"), e.getMessage());
  }

  private static float[] randomFloats(int n) {
    Random random = new Random();
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = 1 + random.nextFloat();
    }
    return out;
  }

  private static byte[] floatBytes(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return b.array();
  }

  /** A zip laid out as torch.save writes it: data.pkl, byteorder and one storage, data/0. */
  private Path checkpoint(String name, byte[] pickle, byte[] storage) throws IOException {
    Path file = dir.resolve(name);
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
      for (var e : Map.of("archive/data.pkl", pickle, "archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII),
          "archive/data/0", storage).entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return file;
  }

  /** Rewrites the uncompressed size that the zip's central directory declares for one entry. */
  private static void declareSize(Path file, String entry, long size) throws IOException {
    byte[] zip = Files.readAllBytes(file);
    byte[] name = entry.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i + 46 + name.length <= zip.length; i++) {
      if (b.getInt(i) == 0x02014b50 && b.getShort(i + 28) == name.length
          && java.util.Arrays.equals(zip, i + 46, i + 46 + name.length, name, 0, name.length)) {
        b.putInt(i + 24, (int) size);
        Files.write(file, zip);
        return;
      }
    }
    throw new AssertionError("no central directory entry " + entry);
  }

  /**
   * A protocol-2 pickle of {"w": tensor}, the tensor rebuilt by _rebuild_tensor_v2 from storage "0"
   * (numel floats) with the given offset, size and stride.
   */
  private static byte[] tensorPickle(int numel, int offset, long[] size, long[] stride) {
    ByteArrayOutputStream p = new ByteArrayOutputStream();
    p.write(0x80);
    p.write(2);
    p.write('}');
    unicode(p, "w");
    global(p, "torch._utils", "_rebuild_tensor_v2");
    p.write('(');
    p.write('(');
    unicode(p, "storage");
    global(p, "torch", "FloatStorage");
    unicode(p, "0");
    unicode(p, "cpu");
    binint(p, numel);
    p.write('t');
    p.write('Q');  // BINPERSID: the storage
    binint(p, offset);
    tuple(p, size);
    tuple(p, stride);
    p.write(0x89);  // requires_grad False
    global(p, "collections", "OrderedDict");
    p.write(')');
    p.write('R');  // backward hooks: OrderedDict()
    p.write('t');
    p.write('R');
    p.write('s');
    p.write('.');
    return p.toByteArray();
  }

  private static void unicode(ByteArrayOutputStream p, String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    p.write('X');
    p.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(utf8.length).array());
    p.writeBytes(utf8);
  }

  private static void global(ByteArrayOutputStream p, String module, String name) {
    p.write('c');
    p.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
  }

  private static void binint(ByteArrayOutputStream p, long v) {
    p.write('J');
    p.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(Math.toIntExact(v)).array());
  }

  private static void tuple(ByteArrayOutputStream p, long[] values) {
    p.write('(');
    for (long v : values) {
      binint(p, v);
    }
    p.write('t');
  }
}
