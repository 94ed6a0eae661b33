package org.iscengine.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.iscengine.errors.IscException;
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

  /**
   * Packages kept out of every pool, test and benchmark of this project because they are held
   * back for an evaluation on images nothing here has seen: names starting with the first, or
   * equal to the second.
   */
  static final String RESERVED_PREFIX = "lomiri-wallpapers";

  static final String RESERVED_NAME = "ukui-wallpapers";

  /** Throws when the package is one of the reserved ones. */
  public static void refuseReserved(String name) {
    if (name.startsWith(RESERVED_PREFIX) || name.equals(RESERVED_NAME)) {
      throw new IllegalArgumentException("the Debian package " + name + " is reserved for a held-out evaluation"
          + " and must not be downloaded or used (" + RESERVED_PREFIX + "* and " + RESERVED_NAME + " are refused)");
    }
  }

  /** The folder holding the unpacked package, fetching and unpacking it first if needed. */
  public Path unpacked(String name) {
    refuseReserved(name);
    Path target = cache.resolve("packages").resolve(name);
    if (Files.isDirectory(target)) {
      return target;
    }
    Path deb = download(name);
    FileTrees.publish(target,
        folder -> run(List.of("dpkg", "-x", deb.toString(), folder.toString()), cache, "dpkg -x " + deb.getFileName()));
    return target;
  }

  /** The .deb of the package, downloaded with apt-get when not already in the cache. */
  Path download(String name) {
    refuseReserved(name);
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

  /** The version of the package in the cache, read from its file name (NAME_VERSION_ARCH.deb). */
  public String version(String name) {
    return versionOf(download(name).getFileName().toString());
  }

  /** The VERSION of NAME_VERSION_ARCH.deb, with apt's %3a turned back into the epoch's colon. */
  static String versionOf(String debFile) {
    String[] parts = debFile.split("_");
    if (parts.length != 3 || !debFile.endsWith(".deb")) {
      throw new IllegalArgumentException("not a NAME_VERSION_ARCH.deb file name: " + debFile);
    }
    return parts[1].replace("%3a", ":").replace("%3A", ":");
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
      throw new IscException(IscException.Kind.UNAVAILABLE,
          what + " failed with exit code " + result.exitCode() + hint + ":\n"
          + output.strip());
    }
  }
}
