package org.iscengine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import org.iscengine.errors.IscException;
import org.iscengine.errors.IscException.Kind;
import org.iscengine.image.ImageDecodeException;
import org.iscengine.kernels.binding.IscAbi;
import org.iscengine.kernels.binding.KernelException;
import org.junit.jupiter.api.Test;

class ErrorAnswersTest {
  @Test
  void eachKindHasItsStatus() {
    Map<Kind, Integer> served = Map.of(Kind.INVALID_INPUT, 400, Kind.CORRUPT_DATA, 400, Kind.UNSUPPORTED, 501,
        Kind.UNAVAILABLE, 503, Kind.OUT_OF_RESOURCES, 507, Kind.INTERNAL, 500);
    for (Kind kind : Kind.values()) {
      assertEquals(served.get(kind), ErrorAnswers.of(new IscException(kind, "x")).status(), kind.name());
    }
    assertEquals(415, ErrorAnswers.of(new ImageDecodeException(Kind.UNSUPPORTED, "upload", "16 channels", null))
        .status(), "an image format the server cannot read");
    assertEquals(413, ErrorAnswers.of(new ImageDecodeException(Kind.OUT_OF_RESOURCES, "upload", "too large", null))
        .status());
    assertEquals(400, ErrorAnswers.of(new ImageDecodeException("upload", "truncated JPEG")).status());
  }

  @Test
  void plainExceptionsAreClassifiedToo() {
    assertEquals(400, ErrorAnswers.of(new IllegalArgumentException("k must be >= 1")).status());
    ErrorAnswers.Answer full = ErrorAnswers.of(new RejectedExecutionException("too many requests waiting (256)"));
    assertEquals(503, full.status());
    assertTrue(full.retryLater());
    assertEquals(400, ErrorAnswers.of(new UncheckedIOException(new NoSuchFileException("/x"))).status());
    assertEquals(418, ErrorAnswers.of(new HttpError(418, "teapot")).status());
  }

  @Test
  void serverSideFailuresGetAnErrorIdAndNoDetail() {
    RuntimeException disk = new UncheckedIOException(new IOException("/srv/secret/store/log: No space left on device"));
    ErrorAnswers.Answer first = ErrorAnswers.of(disk);
    assertEquals(503, first.status());
    assertTrue(first.retryLater());
    assertFalse(first.message().contains("secret"), first.message());
    assertTrue(first.message().contains(first.errorId()), first.message());
    assertNotEquals(first.errorId(), ErrorAnswers.of(disk).errorId(), "one id per failure");
    assertNull(ErrorAnswers.of(new IllegalArgumentException("k must be >= 1")).errorId(), "the client's own doing");
  }

  @Test
  void internalFaultsAre500AndTellTheClientNothing() {
    for (RuntimeException bug : new RuntimeException[] {new NullPointerException("secret.field is null"),
        new IllegalStateException("secret invariant"), new KernelException(IscAbi.DEVICE_ERROR, "secret CUDA error"),
        new KernelException(IscAbi.INVALID_ARGUMENT, "secret argument")}) {
      ErrorAnswers.Answer answer = ErrorAnswers.of(bug);
      assertEquals(500, answer.status(), bug.toString());
      assertTrue(answer.internal());
      assertFalse(answer.message().contains("secret"), answer.message());
    }
  }
}
