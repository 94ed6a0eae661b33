package org.iscengine.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.iscengine.errors.IscException;
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
    var e = assertThrows(IscException.class, () -> new DebianPackages(cache).unpacked("broken"));
    assertEquals(IscException.Kind.UNAVAILABLE, e.kind());
    assertTrue(e.getMessage().contains("broken_1.0_all.deb"), e.getMessage());
    assertTrue(!Files.exists(cache.resolve("packages/broken")), "no half-unpacked package is left as finished");
  }

  @Test
  void anUnknownPackageGivesAnErrorNamingIt() {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/apt-get")), "needs apt-get");
    var e = assertThrows(IscException.class, () -> new DebianPackages(cache).download("isc-no-such-package-x7"));
    assertEquals(IscException.Kind.UNAVAILABLE, e.kind());
    assertTrue(e.getMessage().contains("apt-get download isc-no-such-package-x7"), e.getMessage());
  }

  @Test
  void theReservedPackagesAreRefusedBeforeAnythingIsFetched() {
    for (String name : new String[] {"lomiri-wallpapers", "lomiri-wallpapers-extra", "ukui-wallpapers"}) {
      var e = assertThrows(IllegalArgumentException.class, () -> new DebianPackages(cache).unpacked(name));
      assertTrue(e.getMessage().contains(name) && e.getMessage().contains("reserved"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> new DebianPackages(cache).download(name));
    }
    assertTrue(!Files.exists(cache.resolve("debs")), "nothing is downloaded");
    DebianPackages.refuseReserved("mate-backgrounds");
  }

  @Test
  void theVersionComesFromThePackageFileNameWithItsEpoch() throws Exception {
    assertEquals("4:7.9.0-1", DebianPackages.versionOf("digikam-data_4%3a7.9.0-1_all.deb"));
    assertEquals("1.7-6", DebianPackages.versionOf("sway-backgrounds_1.7-6_all.deb"));
    assertThrows(IllegalArgumentException.class, () -> DebianPackages.versionOf("notes.txt"));
    Files.write(Files.createDirectories(cache.resolve("debs")).resolve("some-pkg_2:1.0-2_all.deb"), new byte[] {1});
    assertEquals("2:1.0-2", new DebianPackages(cache).version("some-pkg"));
  }
}
