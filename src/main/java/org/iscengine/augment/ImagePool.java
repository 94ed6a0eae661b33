package org.iscengine.augment;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.Images;

/**
 * Images that transforms paste in or paste onto (overlay, underlay, mixup, cutmix), drawn by
 * index so a seed picks the same one on every run. Decoded at most {@link #MAX_SIDE} pixels on
 * their longer side and kept in a small cache. Thread-safe.
 */
public final class ImagePool {
  /** Longer side of the images handed out. */
  public static final int MAX_SIDE = 512;

  private static final int CACHE = 64;

  private final List<Path> files;
  private final Map<Integer, Mat> cache = new LinkedHashMap<>(CACHE, 0.75f, true);

  private ImagePool(List<Path> files) {
    this.files = List.copyOf(files);
  }

  public static ImagePool of(List<Path> files) {
    return new ImagePool(files);
  }

  public static ImagePool empty() {
    return new ImagePool(List.of());
  }

  public int size() {
    return files.size();
  }

  /**
   * A random image of the pool as a new Mat (the caller closes it), or empty pool: a generated
   * gradient, so that transforms still work without one.
   */
  public Mat draw(Rng rng) {
    if (files.isEmpty()) {
      return Generated.gradient(rng, 256, 256);
    }
    int index = rng.nextInt(files.size());
    synchronized (cache) {
      Mat cached = cache.get(index);
      if (cached != null) {
        return cached.clone();
      }
    }
    Mat decoded = Images.read(files.get(index), MAX_SIDE);
    synchronized (cache) {
      if (cache.size() >= CACHE) {
        Map.Entry<Integer, Mat> eldest = cache.entrySet().iterator().next();
        eldest.getValue().close();
        cache.remove(eldest.getKey());
      }
      cache.put(index, decoded);
      return decoded.clone();
    }
  }
}
