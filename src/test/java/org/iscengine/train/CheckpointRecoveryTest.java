package org.iscengine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointRecoveryTest {
  @TempDir Path stageDir;

  @Test
  void aCheckpointMovedAsideByAnInterruptedSaveIsPutBackAndAHalfWrittenOneDropped() throws Exception {
    Files.createDirectories(stageDir.resolve(".old-checkpoint"));
    Files.writeString(stageDir.resolve(".old-checkpoint/state.json"), "{\"step\": 7}");
    Files.createDirectories(stageDir.resolve(".tmp-checkpoint"));
    Files.writeString(stageDir.resolve(".tmp-checkpoint/state.json"), "{\"st");
    Trainer.recoverCheckpoint(stageDir);
    assertEquals("{\"step\": 7}", Files.readString(stageDir.resolve("checkpoint/state.json")));
    assertFalse(Files.exists(stageDir.resolve(".old-checkpoint")));
    assertFalse(Files.exists(stageDir.resolve(".tmp-checkpoint")));
  }
}
