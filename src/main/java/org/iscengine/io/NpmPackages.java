package org.iscengine.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.iscengine.errors.IscException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * npm packages fetched as files, never installed: {@code npm pack NAME@VERSION} downloads the
 * tarball into a cache folder, its sha512 is checked against the integrity the caller recorded,
 * and {@code tar} unpacks it. No package script runs (npm pack of a registry package runs none,
 * and {@code --ignore-scripts} says so), so nothing from the package executes here.
 */
public final class NpmPackages {
  private static final Logger log = LoggerFactory.getLogger(NpmPackages.class);
  private static final Duration LIMIT = Duration.ofMinutes(10);

  private final Path cache;

  /** Tarballs go to cache/npm/tarballs, their content to cache/npm/packages/NAME-VERSION. */
  public NpmPackages(Path cache) {
    this.cache = cache.resolve("npm");
  }

  /**
   * The folder holding the unpacked tarball (its files under {@code package/}), fetching,
   * verifying and unpacking it first when needed.
   *
   * @param integrity npm's integrity string, {@code sha512-BASE64}
   */
  public Path unpacked(String name, String version, String integrity) {
    checkName(name, version);
    Path target = cache.resolve("packages").resolve(name + "-" + version);
    if (Files.isDirectory(target)) {
      return target;
    }
    Path tarball = tarball(name, version, integrity);
    Path partial = cache.resolve("packages").resolve(name + "-" + version + ".partial");
    try {
      FileTrees.delete(partial);
      Files.createDirectories(partial);
      String what = "tar -xzf " + tarball.getFileName();
      Commands.Result result = Commands.run(List.of("tar", "--no-same-owner", "--no-same-permissions", "-xzf",
          tarball.toString(), "-C", partial.toString()), partial, what, "GNU tar is needed", LIMIT);
      if (!result.ok()) {
        throw new IscException(IscException.Kind.UNAVAILABLE,
            what + " failed with exit code " + result.exitCode() + ":\n"
            + result.output().strip());
      }
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack " + tarball + ": " + e.getMessage(), e);
    }
  }

  /** The verified tarball, downloaded with npm pack when the cache has no good copy. */
  Path tarball(String name, String version, String integrity) {
    checkName(name, version);
    Path tarballs = cache.resolve("tarballs");
    Path target = tarballs.resolve(name + "-" + version + ".tgz");
    try {
      if (Files.isRegularFile(target)) {
        if (integrity(target).equals(integrity)) {
          return target;
        }
        log.warn("{}: checksum differs from the recorded one; fetching it again", target);
      }
      Files.createDirectories(tarballs);
      Path download = Files.createTempDirectory(tarballs, ".npm-pack.");
      try {
        String spec = name + "@" + version;
        log.info("fetching npm package {}", spec);
        Commands.Result result = Commands.run(List.of("npm", "pack", spec, "--ignore-scripts", "--silent",
            "--fetch-retries=1", "--fetch-timeout=60000"), download, "npm pack " + spec,
            "Node.js's npm is needed: toolchain/bootstrap installs it", LIMIT);
        if (!result.ok()) {
          throw new IscException(IscException.Kind.UNAVAILABLE,
              "npm pack " + spec + " failed with exit code " + result.exitCode()
              + " (is the npm registry reachable from this machine?):\n" + result.output().strip());
        }
        Path fetched = single(download, spec);
        String actual = integrity(fetched);
        if (!actual.equals(integrity)) {
          throw new IscException(IscException.Kind.CORRUPT_DATA,
              "npm pack " + spec + ": the tarball's checksum " + actual
              + " is not the recorded " + integrity + " (a changed or corrupt package)");
        }
        AtomicFile.write(target, tmp -> Files.copy(fetched, tmp, StandardCopyOption.REPLACE_EXISTING));
        return target;
      } finally {
        FileTrees.delete(download);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot fetch " + name + "@" + version + " into " + tarballs + ": "
          + e.getMessage(), e);
    }
  }

  /** npm's integrity string of a file: "sha512-" and the base64 of its SHA-512. */
  public static String integrity(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-512");
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
      return "sha512-" + Base64.getEncoder().encodeToString(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-512", e);
    }
  }

  private static Path single(Path folder, String spec) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      List<Path> tgz = files.filter(p -> p.toString().endsWith(".tgz")).toList();
      if (tgz.size() != 1) {
        throw new IllegalStateException("npm pack " + spec + " reported success but left " + tgz.size()
            + " .tgz files in " + folder);
      }
      return tgz.get(0);
    }
  }

  /** Unscoped names and plain versions only: they become file names. */
  private static void checkName(String name, String version) {
    if (!name.matches("[a-z0-9][a-z0-9._-]*") || !version.matches("[0-9A-Za-z.+-]+")) {
      throw new IllegalArgumentException("npm package " + name + "@" + version + ": only unscoped names and plain"
          + " versions are supported");
    }
  }
}
