package org.iscengine.io;

import java.nio.file.Path;

/** The cache folder of downloaded material: $ISC_CACHE, else ~/.cache/isc. */
public final class IscCache {
  private IscCache() {}

  public static Path root() {
    String env = System.getenv("ISC_CACHE");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    return Path.of(System.getProperty("user.home"), ".cache", "isc");
  }
}
