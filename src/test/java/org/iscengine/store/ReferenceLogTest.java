package org.iscengine.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recovery of the reference log after crashes, torn writes and damage. */
class ReferenceLogTest {
  private static final int DIM = 7;
  @TempDir Path dir;
  private final long seed = RandomTensors.freshSeed();
  private final Random random = new Random(seed);

  private ReferenceLog.Record add(String id) {
    float[] v = new float[DIM];
    for (int i = 0; i < DIM; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return new ReferenceLog.Record(0, true, id, v);
  }

  /** A log file, the records it holds and its size after each append. */
  private record WrittenLog(Path file, List<ReferenceLog.Record> records, long[] ends) {
    /** The size after the last append but {@code fromLast}. */
    long end(int fromLast) {
      return ends[ends.length - 1 - fromLast];
    }
  }

  /** A log of n single-record appends (adds and a remove) in references.log. */
  private WrittenLog writeLog(int n) {
    Path file = dir.resolve("references.log");
    List<ReferenceLog.Record> written = new ArrayList<>();
    long[] ends = new long[n];
    try (ReferenceLog log = ReferenceLog.open(file, DIM, r -> {})) {
      for (int i = 0; i < n; i++) {
        ReferenceLog.Record r = i % 5 == 4 ? new ReferenceLog.Record(0, false, "r" + (i - 2), null) : add("r" + i);
        long sequence = log.append(List.of(r))[0];
        written.add(new ReferenceLog.Record(sequence, r.add(), r.id(), r.vector()));
        ends[i] = size(file);
      }
    }
    return new WrittenLog(file, written, ends);
  }

  private static List<ReferenceLog.Record> replay(Path file) {
    List<ReferenceLog.Record> out = new ArrayList<>();
    ReferenceLog.open(file, DIM, out::add).close();
    return out;
  }

  private static void assertSameRecords(List<ReferenceLog.Record> expected, List<ReferenceLog.Record> got, String why) {
    assertEquals(expected.size(), got.size(), why);
    for (int i = 0; i < expected.size(); i++) {
      ReferenceLog.Record e = expected.get(i);
      ReferenceLog.Record g = got.get(i);
      assertEquals(e.sequence(), g.sequence(), why);
      assertEquals(e.add(), g.add(), why);
      assertEquals(e.id(), g.id(), why);
      if (e.add()) {
        assertArrayEquals(e.vector(), g.vector(), why);
      }
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void append(Path file, byte[] bytes) throws Exception {
    Files.write(file, bytes, StandardOpenOption.APPEND);
  }

  private void assertTornTailIsCut(Path file, List<ReferenceLog.Record> written, long whole, String what) {
    assertSameRecords(written, replay(file), what + " (seed " + seed + ")");
    assertEquals(whole, size(file), what + ": the torn tail is cut");
    try (ReferenceLog log = ReferenceLog.open(file, DIM, r -> {})) {
      ReferenceLog.Record r = add("after");
      long sequence = log.append(List.of(r))[0];
      assertEquals(written.get(written.size() - 1).sequence() + 1, sequence);
      written.add(new ReferenceLog.Record(sequence, true, r.id(), r.vector()));
    }
    assertSameRecords(written, replay(file), what + ": an append after the cut is read back");
  }

  @Test
  void aZeroFilledTailIsATornWriteAndIsCut() throws Exception {
    WrittenLog logged = writeLog(12);
    append(logged.file(), new byte[1 + random.nextInt(5000)]);  // the size reached the disk, the data did not
    assertTornTailIsCut(logged.file(), logged.records(), logged.end(0), "zero-filled tail");
  }

  @Test
  void aGarbageTailIsATornWriteAndIsCut() throws Exception {
    WrittenLog logged = writeLog(12);
    byte[] garbage = new byte[9 + random.nextInt(5000)];
    random.nextBytes(garbage);
    append(logged.file(), garbage);
    assertTornTailIsCut(logged.file(), logged.records(), logged.end(0), "garbage tail");
  }

  @Test
  void aBatchWhosePagesLandedOutOfOrderIsATornWriteAndIsCut() throws Exception {
    WrittenLog logged = writeLog(8);
    long whole = logged.end(0);
    try (ReferenceLog log = ReferenceLog.open(logged.file(), DIM, r -> {})) {
      List<ReferenceLog.Record> batch = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        batch.add(add("b" + i));
      }
      log.append(batch);
    }
    // A crash before the batch's sync: its first bytes never reached the disk, later ones did.
    long lost = (size(logged.file()) - whole) / 3;
    try (RandomAccessFile f = new RandomAccessFile(logged.file().toFile(), "rw")) {
      f.seek(whole);
      f.write(new byte[(int) lost]);
    }
    assertTornTailIsCut(logged.file(), logged.records(), whole, "a batch with its first bytes zeroed");
  }

  @Test
  void damageFollowedByALaterAcknowledgedWriteRefusesNamingTheOffset() throws Exception {
    WrittenLog logged = writeLog(12);
    long secondLast = logged.end(2);
    byte[] before = Files.readAllBytes(logged.file());
    // The length field of the second-to-last record gains 512: a plausible length that runs past the end.
    try (RandomAccessFile f = new RandomAccessFile(logged.file().toFile(), "rw")) {
      f.seek(secondLast + 1);
      f.write(before[(int) secondLast + 1] ^ 0x02);
    }
    LogCorruptedException e = assertThrows(LogCorruptedException.class, () -> replay(logged.file()));
    assertTrue(e.getMessage().contains("byte " + secondLast), e.getMessage());
    assertEquals(before.length, size(logged.file()), "nothing was cut");
    // Zeros in place of that record: the same.
    try (RandomAccessFile f = new RandomAccessFile(logged.file().toFile(), "rw")) {
      f.seek(secondLast);
      f.write(new byte[(int) (logged.end(1) - secondLast)]);
    }
    e = assertThrows(LogCorruptedException.class, () -> replay(logged.file()));
    assertTrue(e.getMessage().contains("byte " + secondLast), e.getMessage());
    assertEquals(before.length, size(logged.file()), "nothing was cut");
  }

  @Test
  void aLastRecordCutAtAnyByteOpensWithEveryRecordBeforeIt() throws Exception {
    WrittenLog logged = writeLog(6);
    byte[] whole = Files.readAllBytes(logged.file());
    long start = logged.end(1);
    List<ReferenceLog.Record> kept = logged.records().subList(0, logged.records().size() - 1);
    for (long cut = start; cut < whole.length; cut++) {
      Path copy = dir.resolve("cut-" + cut + ".log");
      Files.write(copy, Arrays.copyOf(whole, (int) cut));
      assertSameRecords(kept, replay(copy), "cut at byte " + cut);
      assertEquals(start, size(copy), "cut at byte " + cut);
    }
  }

  @Test
  void aLogOfHeaderSizeWithoutAValidHeaderStartsEmpty() throws Exception {
    Path file = dir.resolve("references.log");
    ReferenceLog.open(file, DIM, r -> {}).close();
    long header = size(file);
    // A crash while the log was being created: its size reached the disk, its bytes did not.
    Files.write(file, new byte[(int) header]);
    assertEquals(List.of(), replay(file));
    WrittenLog logged = writeLog(3);  // into the same file
    assertSameRecords(logged.records(), replay(file), "records after the recreated header");
  }

  @Test
  void creatingALogLeavesNoTemporaryFiles() throws Exception {
    Path file = dir.resolve("references.log");
    ReferenceLog.open(file, DIM, r -> {}).close();
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(file), files.toList());
    }
  }

  @Test
  void openingRemovesWhatACrashDuringARewriteLeftBehind() throws Exception {
    WrittenLog logged = writeLog(4);
    // The temporary file of a compaction the process died in: the log itself was not replaced.
    Path leftover = dir.resolve(".references.log.8172635.tmp");
    byte[] half = new byte[4096];
    random.nextBytes(half);
    Files.write(leftover, half);
    assertSameRecords(logged.records(), replay(logged.file()), "the log after a crash during its compaction");
    assertFalse(Files.exists(leftover), "the half-written copy is removed");
  }

  /** The first format: a 16-byte header, records [length][CRC-32C of the payload][payload]. */
  @Test
  void aLogOfTheFirstFormatIsStillReadAndGoesOnInTheCurrentOne() throws Exception {
    Path file = dir.resolve("references.log");
    List<ReferenceLog.Record> written = new ArrayList<>();
    ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    b.put("ISCRLOG1".getBytes(StandardCharsets.US_ASCII)).putInt(DIM).putInt(crc(b.array(), 0, 12));
    for (int i = 1; i <= 5; i++) {
      ReferenceLog.Record r = i == 4 ? new ReferenceLog.Record(i, false, "r2", null) : add("r" + i);
      r = new ReferenceLog.Record(i, r.add(), r.id(), r.vector());
      written.add(r);
      byte[] id = r.id().getBytes(StandardCharsets.UTF_8);
      ByteBuffer p = ByteBuffer.allocate(11 + id.length + (r.add() ? 4 * DIM : 0)).order(ByteOrder.LITTLE_ENDIAN);
      p.putLong(i).put((byte) (r.add() ? 1 : 2)).putShort((short) id.length).put(id);
      if (r.add()) {
        for (float v : r.vector()) {
          p.putFloat(v);
        }
      }
      b.putInt(p.capacity()).putInt(crc(p.array(), 0, p.capacity())).put(p.array());
    }
    Files.write(file, Arrays.copyOf(b.array(), b.position()));
    assertSameRecords(written, replay(file), "first-format log");
    try (ReferenceLog log = ReferenceLog.open(file, DIM, r -> {})) {
      ReferenceLog.Record r = add("r6");
      written.add(new ReferenceLog.Record(log.append(List.of(r))[0], true, r.id(), r.vector()));
    }
    assertSameRecords(written, replay(file), "first-format log with an append");
    assertFalse(new String(Files.readAllBytes(file), 0, 8, StandardCharsets.US_ASCII).equals("ISCRLOG1"),
        "the log was rewritten in the current format");
  }

  private static int crc(byte[] data, int offset, int length) {
    CRC32C c = new CRC32C();
    c.update(data, offset, length);
    return (int) c.getValue();
  }
}
