package org.iscengine.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** Versions of isc-engine and of the native stack it was built against. */
public final class Versions {
  private static final Properties PROPERTIES = load();

  private Versions() {}

  public static String engine() {
    return PROPERTIES.getProperty("version", "unknown");
  }

  /** The bytedeco pytorch artifact, e.g. "2.10.0-1.5.13". */
  public static String pytorchPreset() {
    return PROPERTIES.getProperty("pytorch", "unknown");
  }

  /** LibTorch's own version, e.g. "2.10.0". */
  public static String libtorch() {
    String preset = pytorchPreset();
    int dash = preset.indexOf('-');
    return dash < 0 ? preset : preset.substring(0, dash);
  }

  public static String javacpp() {
    return PROPERTIES.getProperty("javacpp", "unknown");
  }

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = Versions.class.getResourceAsStream("/org/iscengine/version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read org/iscengine/version.properties", e);
    }
    return p;
  }
}
