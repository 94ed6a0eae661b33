package org.iscengine.match;

import static org.bytedeco.opencv.global.opencv_core.CV_32FC2;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.global.opencv_calib3d;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.KeyPointVector;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_features2d.ORB;
import org.iscengine.image.ImageOps;
import org.iscengine.image.Images;
import org.iscengine.progress.Progress;

/**
 * Re-scores each query's candidates by local-feature geometry: ORB keypoints on both images
 * (the query also mirrored, since copies may be flipped), mutual nearest neighbours by Hamming
 * distance that pass the ratio test, then a RANSAC similarity transform (OpenCV
 * estimateAffinePartial2D). A pair with at least {@code minInliers} inliers gains
 * {@code weight × min(1, inliers / saturation)}; the others keep their score. Edits that keep a
 * part of the picture rigid (crops, overlays, captions, rescaling, rotation) leave many inliers; two
 * different pictures of similar texture rarely do.
 */
public final class GeometricVerification {
  /** The settings; see the class comment. */
  public record Options(int features, int side, double ratio, int minInliers, int saturation, double weight,
      double reprojection) {
    public Options {
      if (features < 8 || side < 32 || ratio <= 0 || ratio > 1 || minInliers < 3 || saturation < minInliers
          || !(weight > 0) || !(reprojection > 0)) {
        throw new IllegalArgumentException("geometric verification: features >= 8, side >= 32, ratio in (0, 1],"
            + " minInliers >= 3, saturation >= minInliers, weight > 0 and reprojection > 0 expected; got " + this);
      }
    }

    /** Chosen on the validation mini-DISC: 1 000 keypoints and 8 inliers (500 and 12 before). */
    public static Options defaults() {
      return new Options(1000, 320, 0.85, 8, 40, 0.5, 6.0);
    }
  }

  /** Keypoints of one image: x, y pairs and 32-byte ORB descriptors as 4 longs each. */
  record Features(float[] xy, long[] bits) {
    int size() {
      return xy.length / 2;
    }
  }

  private final Options options;
  /** Each pair's gain, by the two images' paths: a pair verified once is not verified again. */
  private final Map<String, Float> bonusOf = new ConcurrentHashMap<>();

  public GeometricVerification(Options options) {
    this.options = options;
  }

  /**
   * The predictions with verified pairs raised; images are found by id through the lookups. Rows,
   * ids and order are kept: only scores change. A pair of image files this instance verified before
   * keeps its gain without being read again.
   */
  public Predictions rescore(Predictions predictions, Function<String, Path> queryFile,
      Function<String, Path> referenceFile, Progress.Factory progress) {
    Map<String, Features[]> queries = new ConcurrentHashMap<>();
    Map<String, Features> references = new ConcurrentHashMap<>();
    float[] scores = new float[predictions.size()];
    AtomicInteger verified = new AtomicInteger();
    int openCvThreads = opencv_core.getNumThreads();
    opencv_core.setNumThreads(1);  // parallel over pairs, not inside OpenCV
    try (Progress bar = progress.start("geometric verification", predictions.size())) {
      IntStream.range(0, predictions.size()).parallel().forEach(i -> {
        Path queryPath = queryFile.apply(predictions.queryId(i));
        Path referencePath = referenceFile.apply(predictions.referenceId(i));
        String pair = queryPath + "\n" + referencePath;
        Float known = bonusOf.get(pair);
        float bonus = known != null ? known : bonus(queries.computeIfAbsent(predictions.queryId(i), id -> {
          try (Mat image = Images.read(queryPath); Mat mirrored = new Mat()) {
            opencv_core.flip(image, mirrored, 1);
            return new Features[] {features(image), features(mirrored)};
          }
        }), references.computeIfAbsent(predictions.referenceId(i), id -> {
          try (Mat image = Images.read(referencePath)) {
            return features(image);
          }
        }));
        bonusOf.putIfAbsent(pair, bonus);
        if (bonus > 0) {
          verified.incrementAndGet();
        }
        scores[i] = predictions.score(i) + bonus;
        bar.step();
      });
    } finally {
      opencv_core.setNumThreads(openCvThreads);
    }
    int[] q = new int[predictions.size()];
    int[] r = new int[predictions.size()];
    for (int i = 0; i < q.length; i++) {
      q[i] = predictions.queryIndex(i);
      r[i] = predictions.referenceIndex(i);
    }
    org.slf4j.LoggerFactory.getLogger(GeometricVerification.class).info("geometric verification: {} of {} pairs"
        + " verified", verified.get(), predictions.size());
    return new Predictions(predictions.queryIds(), predictions.referenceIds(), q, r, scores);
  }

  /** What a pair gains: by the inliers of the query or its mirror image, whichever has more. */
  private float bonus(Features[] query, Features reference) {
    int inliers = Math.max(inliers(query[0], reference), inliers(query[1], reference));
    return inliers >= options.minInliers()
        ? (float) (options.weight() * Math.min(1.0, (double) inliers / options.saturation())) : 0f;
  }

  /** ORB keypoints of the image scaled so that its longer side is options.side. */
  Features features(Mat image) {
    double scale = (double) options.side() / Math.max(image.cols(), image.rows());
    int w = Math.max(1, (int) Math.round(image.cols() * scale));
    int h = Math.max(1, (int) Math.round(image.rows() * scale));
    try (Mat resized = ImageOps.resize(image, w, h);
        Mat gray = new Mat();
        Mat descriptors = new Mat();
        Mat noMask = new Mat();
        KeyPointVector keypoints = new KeyPointVector();
        ORB orb = ORB.create(options.features(), 1.2f, 8, 15, 0, 2, ORB.HARRIS_SCORE, 15, 20)) {
      opencv_imgproc.cvtColor(resized, gray, opencv_imgproc.COLOR_BGR2GRAY);
      orb.detectAndCompute(gray, noMask, keypoints, descriptors);
      int n = descriptors.empty() ? 0 : descriptors.rows();
      float[] xy = new float[2 * n];
      long[] bits = new long[4 * n];
      byte[] row = new byte[32];
      for (int k = 0; k < n; k++) {
        xy[2 * k] = keypoints.get(k).pt().x();
        xy[2 * k + 1] = keypoints.get(k).pt().y();
        descriptors.ptr(k).get(row);
        for (int j = 0; j < 4; j++) {
          long v = 0;
          for (int b = 0; b < 8; b++) {
            v |= (row[8 * j + b] & 0xFFL) << (8 * b);
          }
          bits[4 * k + j] = v;
        }
      }
      return new Features(xy, bits);
    }
  }

  /** RANSAC inliers of a similarity transform between the two keypoint sets' matches (0: too few matches). */
  int inliers(Features a, Features b) {
    int[][] ab = nearest(a, b);
    int[][] ba = nearest(b, a);
    List<int[]> matches = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      int j = ab[0][i];
      // Mutual nearest neighbours whose best distance is clearly below the second best.
      if (j >= 0 && ba[0][j] == i && ab[1][i] < options.ratio() * ab[2][i]) {
        matches.add(new int[] {i, j});
      }
    }
    if (matches.size() < options.minInliers()) {
      return 0;  // too few matches to reach the threshold, whatever RANSAC finds
    }
    int n = matches.size();
    float[] from = new float[2 * n];
    float[] to = new float[2 * n];
    for (int k = 0; k < n; k++) {
      from[2 * k] = a.xy()[2 * matches.get(k)[0]];
      from[2 * k + 1] = a.xy()[2 * matches.get(k)[0] + 1];
      to[2 * k] = b.xy()[2 * matches.get(k)[1]];
      to[2 * k + 1] = b.xy()[2 * matches.get(k)[1] + 1];
    }
    try (FloatPointer pf = new FloatPointer(from);
        FloatPointer pt = new FloatPointer(to);
        Mat src = new Mat(n, 1, CV_32FC2, pf);
        Mat dst = new Mat(n, 1, CV_32FC2, pt);
        Mat mask = new Mat();
        Mat transform = opencv_calib3d.estimateAffinePartial2D(src, dst, mask, opencv_calib3d.RANSAC,
            options.reprojection(), 2000, 0.99, 10)) {
      return transform.empty() ? 0 : opencv_core.countNonZero(mask);
    }
  }

  /** For each descriptor of a: its nearest in b, and the best and second best Hamming distances. */
  private static int[][] nearest(Features a, Features b) {
    int na = a.size();
    int nb = b.size();
    int[] best = new int[na];
    int[] d1 = new int[na];
    int[] d2 = new int[na];
    long[] x = a.bits();
    long[] y = b.bits();
    for (int i = 0; i < na; i++) {
      int first = Integer.MAX_VALUE;
      int second = Integer.MAX_VALUE;
      int arg = -1;
      for (int j = 0; j < nb; j++) {
        int d = Long.bitCount(x[4 * i] ^ y[4 * j]) + Long.bitCount(x[4 * i + 1] ^ y[4 * j + 1])
            + Long.bitCount(x[4 * i + 2] ^ y[4 * j + 2]) + Long.bitCount(x[4 * i + 3] ^ y[4 * j + 3]);
        if (d < first) {
          second = first;
          first = d;
          arg = j;
        } else if (d < second) {
          second = d;
        }
      }
      best[i] = arg;
      d1[i] = first;
      d2[i] = second;
    }
    return new int[][] {best, d1, d2};
  }
}
