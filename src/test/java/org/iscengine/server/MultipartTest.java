package org.iscengine.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import org.iscengine.testing.RandomTensors;
import org.junit.jupiter.api.Test;

class MultipartTest {
  private final long seed = RandomTensors.freshSeed();

  private static byte[] form(String boundary, String disposition, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n")
        .getBytes(StandardCharsets.UTF_8));
    out.writeBytes(("--" + boundary + "\r\n" + disposition + "\r\nContent-Type: image/jpeg\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8));
    out.writeBytes(content);
    out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  @Test
  void findsTheImagePartAsSent() {
    byte[] image = new byte[5000];
    new Random(seed).nextBytes(image);
    String boundary = "Zq" + seed;
    assertArrayEquals(image, Multipart.image("multipart/form-data; boundary=\"" + boundary + "\"",
        form(boundary, "Content-Disposition: form-data; name=\"image\"; filename=\"q.jpg\"", image)));
    assertArrayEquals(image, Multipart.image("multipart/form-data; boundary=" + boundary,
        form(boundary, "Content-Disposition: form-data; name=\"upload\"; filename=\"q.jpg\"", image)),
        "else the first file part");
  }

  @Test
  void aLongHeaderLineIsRefusedAtOnce() {
    String boundary = "b" + seed;
    String line = "Content-Disposition: form-data; " + "content-disposition:".repeat(52_000);
    byte[] body = form(boundary, line, new byte[] {1, 2, 3});
    IllegalArgumentException e = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertThrows(
        IllegalArgumentException.class, () -> Multipart.image("multipart/form-data; boundary=" + boundary, body)));
    assertTrue(e.getMessage().contains("header line"), e.getMessage());
  }

  @Test
  void aBoundaryOver70CharactersIsRefused() {
    String boundary = "b".repeat(71);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Multipart.image(
        "multipart/form-data; boundary=" + boundary, form(boundary, "Content-Disposition: form-data; name=image",
            new byte[] {7})));
    assertTrue(e.getMessage().contains("boundary"), e.getMessage());
  }
}
