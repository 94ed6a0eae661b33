package org.iscengine.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageFormat;
import org.iscengine.image.ImageOps;
import org.iscengine.image.Images;
import org.iscengine.io.AtomicFile;

/**
 * Small JPEG pictures of the references added as images, so that a match can be shown. One file
 * per id, named by the SHA-256 of the id (ids are any text); written atomically after the
 * reference itself, so a crash can leave a reference without its picture, never a wrong one.
 */
final class Thumbnails {
  /** The longer side of a thumbnail, in pixels. */
  static final int SIDE = 160;
  private static final int MAX_BYTES = 1 << 20;

  private final Path folder;

  Thumbnails(Path folder) {
    this.folder = folder;
    try {
      Files.createDirectories(folder);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the thumbnail folder " + folder + ": " + e.getMessage(), e);
    }
  }

  /** Keeps the thumbnail of an image (already accepted as a reference, so it decodes). */
  void put(String id, byte[] image) {
    try (Mat decoded = Images.decode(image, "reference " + id, 4 * SIDE);
        Mat small = ImageOps.fit(decoded, SIDE, false)) {
      byte[] jpeg = Images.encode(small, ImageFormat.JPEG, 85);
      AtomicFile.write(file(id), temporary -> Files.write(temporary, jpeg));
    }
  }

  /** The thumbnail of a reference, if it has one. */
  Optional<byte[]> get(String id) {
    Path file = file(id);
    try {
      if (Files.size(file) > MAX_BYTES) {
        throw new IllegalStateException(file + " is larger than any thumbnail this server writes");
      }
      return Optional.of(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the thumbnail " + file + ": " + e.getMessage(), e);
    }
  }

  void remove(String id) {
    try {
      Files.deleteIfExists(file(id));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the thumbnail " + file(id) + ": " + e.getMessage(), e);
    }
  }

  private Path file(String id) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
      return folder.resolve(HexFormat.of().formatHex(digest) + ".jpg");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
