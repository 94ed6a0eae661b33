package org.iscengine.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.concurrent.TimeUnit;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.image.Images;
import org.junit.jupiter.api.Timeout;

/**
 * Image decoding as the server does it on a request body ({@link Images#decode}, through
 * CopyDetector): any bytes give an 8-bit BGR image within the side cap, or an
 * ImageDecodeException.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ImageFuzzTest {
  /** Longest input tried: a request body of images this size is where decoding is exercised. */
  static final int MAX_LENGTH = 256 * 1024;

  @FuzzTest
  void decode(byte[] data) {
    if (data.length > MAX_LENGTH) {
      return;
    }
    Contract.refusesOrReads(() -> {
      try (Mat image = Images.decode(data, "fuzz input", Images.DEFAULT_MAX_SIDE)) {
        assertEquals(opencv_core.CV_8UC3, image.type(), "decoded images are 8-bit BGR");
        assertTrue(image.rows() >= 1 && image.cols() >= 1, "decoded images are not empty");
        assertTrue(Math.max(image.rows(), image.cols()) <= Images.DEFAULT_MAX_SIDE,
            "decoded images are within the side cap, got " + image.cols() + "x" + image.rows());
      }
    });
  }
}
