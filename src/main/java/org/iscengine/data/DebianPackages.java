package org.iscengine.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.iscengine.io.Commands;
import org.iscengine.io.FileTrees;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debian packages fetched and unpacked without root: {@code apt-get download} into a cache
 * folder, then {@code dpkg -x} into a folder of their own. Nothing is installed.
 */
public final class DebianPackages {
  private static final Logger log = LoggerFactory.getLogger(DebianPackages.class);

  private final Path cache;

  /** Packages go to cache/debs (the .deb files) and cache/packages/NAME (their content). */
  public DebianPackages(Path cache) {
    this.cache = cache;
  }

  /** The folder holding the unpacked package, fetching and unpacking it first if needed. */
  public Path unpacked(String name) {
    Path target = cache.resolve("packages").resolve(name);
    if (Files.isDirectory(target)) {
      return target;
    }
    Path deb = download(name);
    Path partial = cache.resolve("packages").resolve(name + ".partial");
    try {
      FileTrees.delete(partial);
      Files.createDirectories(partial);
      run(List.of("dpkg", "-x", deb.toString(), partial.toString()), cache, "dpkg -x " + deb.getFileName());
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack " + deb + ": " + e.getMessage(), e);
    }
  }

  /** The .deb of the package, downloaded with apt-get when not already in the cache. */
  Path download(String name) {
    Path debs = cache.resolve("debs");
    try {
      Files.createDirectories(debs);
      Optional<Path> existing = find(debs, name);
      if (existing.isPresent()) {
        return existing.get();
      }
      log.info("downloading Debian package {}", name);
      run(List.of("apt-get", "download", name), debs, "apt-get download " + name);
      return find(debs, name).orElseThrow(() -> new IllegalStateException(
          "apt-get download " + name + " reported success but left no " + name + "_*.deb in " + debs));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot download " + name + " into " + debs + ": " + e.getMessage(), e);
    }
  }

  private static Optional<Path> find(Path debs, String name) throws IOException {
    try (Stream<Path> files = Files.list(debs)) {
      return files.filter(p -> p.getFileName().toString().startsWith(name + "_") && p.toString().endsWith(".deb"))
          .sorted().findFirst();
    }
  }

  private static void run(List<String> command, Path dir, String what) {
    Commands.Result result = Commands.run(command, dir, what, "a Debian system with apt and dpkg is needed",
        Duration.ofMinutes(30));
    if (!result.ok()) {
      String output = result.output();
      String hint = output.contains("Unable to locate package") || output.contains("has no installation candidate")
          ? " (the package lists may be missing: run 'apt-get update' as root, or toolchain/bootstrap)"
          : "";
      throw new IllegalStateException(what + " failed with exit code " + result.exitCode() + hint + ":\n"
          + output.strip());
    }
  }
}
