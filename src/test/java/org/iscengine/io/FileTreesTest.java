package org.iscengine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.iscengine.io.AtomicFile.Step;
import org.iscengine.io.AtomicFileTest.Crash;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreesTest {
  @TempDir Path dir;

  private static void fill(Path folder, String content) throws IOException {
    Files.createDirectories(folder.resolve("sub"));
    Files.writeString(folder.resolve("a.txt"), content);
    Files.writeString(folder.resolve("sub/b.txt"), content + "-b");
  }

  private static void assertHolds(Path folder, String content) throws IOException {
    assertEquals(content, Files.readString(folder.resolve("a.txt")));
    assertEquals(content + "-b", Files.readString(folder.resolve("sub/b.txt")));
  }

  private List<String> names() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void publishesAFolderAndReplacesAnExistingOneWhole() throws Exception {
    Path target = dir.resolve("out");
    FileTrees.publish(target, tmp -> fill(tmp, "one"));
    assertHolds(target, "one");
    Files.writeString(target.resolve("stale.txt"), "from the old folder");
    FileTrees.publish(target, tmp -> fill(tmp, "two"));
    assertHolds(target, "two");
    assertFalse(Files.exists(target.resolve("stale.txt")), "the old folder is replaced, not merged");
    assertEquals(List.of("out"), names(), "nothing is left beside it");
  }

  @Test
  void aCrashAtAnyStepLeavesOneWholeFolderThatRecoveryPutsInPlace() throws Exception {
    Path target = dir.resolve("out");
    FileTrees.publish(target, tmp -> fill(tmp, "old"));
    for (Step step : Step.values()) {
      assertThrows(Crash.class, () -> FileTrees.publish(target, tmp -> fill(tmp, "new"), reached -> {
        if (reached == step) {
          throw new Crash();
        }
      }));
      FileTrees.recoverAll(dir);
      assertHolds(target, step == Step.RENAMED ? "new" : "old");
      assertEquals(List.of("out"), names(), "recovery leaves nothing beside it after a crash at " + step);
      FileTrees.publish(target, tmp -> fill(tmp, "old"));
    }
  }

  @Test
  void aFailedPublishKeepsTheOldFolderAndRemovesTheHalfBuiltOne() throws Exception {
    Path target = dir.resolve("out");
    FileTrees.publish(target, tmp -> fill(tmp, "old"));
    var e = assertThrows(UncheckedIOException.class, () -> FileTrees.publish(target, tmp -> {
      fill(tmp, "half");
      throw new IOException("disk full");
    }));
    assertTrue(e.getMessage().contains("out") && e.getMessage().contains("disk full"), e.getMessage());
    assertHolds(target, "old");
    assertEquals(List.of("out"), names());
  }

  @Test
  void deletesATreeAndNothingWhenAbsent() throws Exception {
    Path target = dir.resolve("tree");
    fill(target, "x");
    FileTrees.delete(target);
    assertFalse(Files.exists(target));
    FileTrees.delete(target);
  }
}
