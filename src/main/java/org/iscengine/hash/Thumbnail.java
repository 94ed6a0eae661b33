package org.iscengine.hash;

import static org.bytedeco.opencv.global.opencv_core.CV_32F;

import java.nio.file.Path;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.ImageOps;
import org.iscengine.image.Images;

/**
 * The thumbnail descriptor, the simplest honest baseline for copy detection: the image's
 * luminance (0.299 R + 0.587 G + 0.114 B, in float) area-resampled to 16 x 16 (aspect not
 * kept), minus its mean, L2-normalised: a 256-d float vector compared by inner product (the
 * correlation of the two thumbnails). A flat image has no structure left after the mean: its
 * descriptor is all zeros, and matches nothing. Files are decoded with their longer side reduced
 * to {@value PdqHasher#MAX_SIDE} pixels, as for PDQ. Stateless and thread-safe.
 */
public final class Thumbnail {
  /** Side of the thumbnail. */
  public static final int SIDE = 16;

  /** Dimensions of the descriptor. */
  public static final int DIMENSION = SIDE * SIDE;

  /**
   * Below this L2 norm of its deviations from the mean (grey levels) a thumbnail counts as flat:
   * the area averaging of a flat image leaves float rounding noise of about 1e-5 per pixel.
   */
  static final double FLAT = 1e-3;

  private Thumbnail() {}

  /** The descriptor of an image file. */
  public static float[] describe(Path file) {
    try (Mat image = Images.read(file, PdqHasher.MAX_SIDE)) {
      return describe(image);
    }
  }

  /** The descriptor of an 8-bit BGR (or grey) image. The image is not modified. */
  public static float[] describe(Mat image) {
    Mat reduced = PdqHasher.reduce(image, PdqHasher.MAX_SIDE);
    try (Mat floats = new Mat();
        Mat grey = new Mat()) {
      reduced.convertTo(floats, CV_32F);
      if (floats.channels() == 3) {
        opencv_imgproc.cvtColor(floats, grey, opencv_imgproc.COLOR_BGR2GRAY);
      } else {
        floats.copyTo(grey);
      }
      try (Mat thumb = ImageOps.resize(grey, SIDE, SIDE, opencv_imgproc.INTER_AREA);
          FloatIndexer px = thumb.createIndexer()) {
        double[] v = new double[DIMENSION];
        double mean = 0;
        for (int i = 0; i < SIDE; i++) {
          for (int j = 0; j < SIDE; j++) {
            v[i * SIDE + j] = px.get(i, j);
            mean += v[i * SIDE + j];
          }
        }
        mean /= DIMENSION;
        double norm = 0;
        for (int k = 0; k < DIMENSION; k++) {
          v[k] -= mean;
          norm += v[k] * v[k];
        }
        norm = Math.sqrt(norm);
        float[] out = new float[DIMENSION];
        if (norm > FLAT) {  // else flat: zeros, not float rounding noise scaled up to unit length
          for (int k = 0; k < DIMENSION; k++) {
            out[k] = (float) (v[k] / norm);
          }
        }
        return out;
      }
    } finally {
      if (reduced != image) {
        reduced.close();
      }
    }
  }
}
