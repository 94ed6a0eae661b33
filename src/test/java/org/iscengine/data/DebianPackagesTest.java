package org.iscengine.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DebianPackagesTest {
  @TempDir Path cache;

  @Test
  void aPackageAlreadyInTheCacheIsNotFetchedAgain() throws Exception {
    Path deb = Files.createDirectories(cache.resolve("debs")).resolve("some-pkg_1.0-2_all.deb");
    Files.write(deb, new byte[] {1});
    Files.createDirectories(cache.resolve("packages/some-pkg/usr"));
    DebianPackages debs = new DebianPackages(cache);
    assertEquals(deb, debs.download("some-pkg"));
    assertEquals(cache.resolve("packages/some-pkg"), debs.unpacked("some-pkg"));
  }

  @Test
  void aCorruptPackageFileGivesAnErrorNamingItAndLeavesNothingUnpacked() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/dpkg")), "needs dpkg");
    Files.write(Files.createDirectories(cache.resolve("debs")).resolve("broken_1.0_all.deb"), new byte[] {1, 2, 3});
    var e = assertThrows(IllegalStateException.class, () -> new DebianPackages(cache).unpacked("broken"));
    assertTrue(e.getMessage().contains("broken_1.0_all.deb"), e.getMessage());
    assertTrue(!Files.exists(cache.resolve("packages/broken")), "no half-unpacked package is left as finished");
  }

  @Test
  void anUnknownPackageGivesAnErrorNamingIt() {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/apt-get")), "needs apt-get");
    var e = assertThrows(IllegalStateException.class,
        () -> new DebianPackages(cache).download("isc-no-such-package-x7"));
    assertTrue(e.getMessage().contains("apt-get download isc-no-such-package-x7"), e.getMessage());
  }
}
