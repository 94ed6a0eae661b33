package org.iscengine.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.iscengine.model.DescriptorNetwork;
import org.iscengine.model.ModelConfig;
import org.iscengine.model.Models;

/**
 * A model shipped to executors by path: an isc model file, or a TorchScript file with its input
 * size. Executors open it themselves, so the path must name the same file on every machine.
 *
 * @param file absolute path of the model file
 * @param inputSize input side of a TorchScript file (null: 288, as isc extract); unused for an isc model file
 */
public record ModelSource(String file, Integer inputSize) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Checks that the path is a model file (an architecture name has no weights to ship). */
  public static ModelSource of(Path file, Integer inputSize) {
    Models.Kind kind = Models.kind(file);
    if (kind != Models.Kind.ISC_MODEL && kind != Models.Kind.TORCHSCRIPT) {
      throw new IllegalArgumentException(file + " is not an isc model file or a TorchScript file: distributed"
          + " extraction ships the model by path (isc model convert writes one)");
    }
    if (inputSize != null && inputSize < 1) {
      throw new IllegalArgumentException("input size must be >= 1, got " + inputSize);
    }
    return new ModelSource(file.toAbsolutePath().normalize().toString(), inputSize);
  }

  /** Loads the network (float32 weights on the CPU); the caller closes it. */
  public DescriptorNetwork open() {
    Path path = Path.of(file);
    boolean torchScript = Models.kind(path) == Models.Kind.TORCHSCRIPT;
    return Models.open(file, null, false, torchScript ? ModelConfig.torchScript(inputSize != null ? inputSize : 288)
        : null);
  }

  /** SHA-256 of the file, so that a resumed extraction can tell another model from this one. */
  public String sha256() {
    try (InputStream in = Files.newInputStream(Path.of(file))) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
