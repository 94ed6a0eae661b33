package org.iscengine.model.keras;

import java.nio.file.Files;
import java.nio.file.Path;
import org.iscengine.io.IscCache;
import org.iscengine.io.NpmPackages;

/**
 * The Keras networks of the npm package nsfwjs 4.4.0 (MIT licence): MobileNetV2 and InceptionV3,
 * initialised from ImageNet and fine-tuned as 5-class image classifiers, shipped in the TF.js
 * layers format as JavaScript bundles. Fetched once into the cache with npm, checked against the
 * tarball's recorded sha512.
 */
public final class Nsfwjs {
  public static final String PACKAGE = "nsfwjs";
  public static final String VERSION = "4.4.0";
  /** npm's integrity of nsfwjs-4.4.0.tgz, as the registry published it. */
  public static final String INTEGRITY =
      "sha512-krC1fgeTLXtZwgdpKJ0jm7hqv0gTSRQQRL+FhOaxaJ9Wj92t42BO3csO2odwgTAgZgf2RvkwPtp0R8Aa7dc+MA==";

  private Nsfwjs() {}

  /** The bundle of one model (mobilenet_v2, mobilenet_v2_mid, inception_v3), fetching the package if needed. */
  public static Path modelFile(String model) {
    if (!model.matches("[a-z0-9_]+")) {
      throw new IllegalArgumentException("nsfwjs model name '" + model + "' is not a plain name");
    }
    Path folder = new NpmPackages(IscCache.root()).unpacked(PACKAGE, VERSION, INTEGRITY);
    Path file = folder.resolve("package/dist/models").resolve(model).resolve("model.min.js");
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(PACKAGE + "@" + VERSION + " has no model " + model + " (no " + file + ")");
    }
    return file;
  }
}
