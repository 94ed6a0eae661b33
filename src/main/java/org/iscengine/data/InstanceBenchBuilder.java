package org.iscengine.data;

import static org.bytedeco.opencv.global.opencv_core.CV_32FC2;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;
import org.iscengine.augment.Rng;
import org.iscengine.image.ContactSheet;
import org.iscengine.image.ImageOps;
import org.iscengine.image.Images;
import org.iscengine.io.AtomicFile;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.Versions;

/**
 * A small instance-retrieval benchmark in the revisited Oxford/Paris form: each instance is one
 * benchmark photo; its query shows a region of it; its database views show other, overlapping
 * regions under crop, scale and perspective change. A view showing at least half of the query's
 * region nearly square-on is easy, one showing half under a strong perspective or a quarter to a
 * half of it is hard, one showing less is junk (ignored by every protocol, as the dataset's
 * unclear views are). Views of photos that are no instance are distractors. Each instance comes
 * from a source image of its own, and no distractor from an instance's source image. Files:
 * {@code queries/q0000.jpg}, {@code images/i00000.jpg} (shuffled), {@code gnd_instances.json}
 * (imlist, qimlist, gnd: easy, hard, junk per query), {@code preview.png}. Deterministic for a
 * seed; resumable.
 */
public final class InstanceBenchBuilder {
  /** The ground truth file, read by {@code isc evaluate} (revisited protocols Easy, Medium, Hard). */
  public static final String GROUND_TRUTH = "gnd_instances.json";

  private static final int QUERY_SIDE = 160;
  private static final double EASY_JITTER = 0.03;
  private static final double HARD_JITTER = 0.12;

  /**
   * @param instances photos made into instances (one query each)
   * @param views database views per instance: half easy, a third hard, the rest junk
   * @param distractors database views of photos that are no instance
   */
  public record Options(int instances, int views, int distractors, long seed) {
    public Options {
      if (instances < 1 || views < 3 || distractors < 0) {
        throw new IllegalArgumentException("an instance benchmark needs instances >= 1, views >= 3 (easy, hard and"
            + " junk) and distractors >= 0; got " + instances + ", " + views + ", " + distractors);
      }
    }
  }

  /** The manifest: what was built from what. */
  public record Manifest(String layout, String engineVersion, Options options, List<String> sources) {}

  /** What a build made. */
  public record Result(Path groundTruth, int queries, int images, int easy, int hard, int junk) {}

  private enum Kind { EASY, HARD, JUNK }

  /** One database view: its photo (index among the used ones), region, perspective, label and query (-1: none). */
  private record View(int source, int[] region, double jitter, Kind kind, int query) {}

  private final PhotoLibrary library;
  private final Options options;
  private final Progress.Factory progress;

  public InstanceBenchBuilder(PhotoLibrary library, Options options, Progress.Factory progress) {
    this.library = library;
    this.options = options;
    this.progress = progress;
  }

  public Result build(Path out) {
    Rng rng = new Rng(options.seed());
    List<PhotoLibrary.Unit> used = draw(rng);
    BuildFolder.claim(out, new Manifest("instances-2", Versions.engine(), options,
        used.stream().map(PhotoLibrary.Unit::file).toList()));

    List<int[]> queryRegions = new ArrayList<>();
    List<View> views = new ArrayList<>();
    for (int q = 0; q < options.instances(); q++) {
      PhotoLibrary.Unit u = used.get(q);
      int[] region = rect(rng, u.width(), u.height(), 0.5, 0.7);
      queryRegions.add(region);
      int easy = (options.views() + 1) / 2;
      int hard = Math.max(1, options.views() / 3);
      for (int v = 0; v < options.views(); v++) {
        Kind kind = v < easy ? Kind.EASY : v < easy + hard ? Kind.HARD : Kind.JUNK;
        views.add(view(rng, q, u, region, kind));
      }
    }
    int others = used.size() - options.instances();
    for (int d = 0; d < options.distractors(); d++) {
      int source = options.instances() + d % others;
      PhotoLibrary.Unit u = used.get(source);
      views.add(new View(source, rect(rng, u.width(), u.height(), 0.4, 0.9), rng.uniform(0, HARD_JITTER), null, -1));
    }
    int[] shuffled = rng.permutation(views.size());

    List<String> queries = new ArrayList<>();
    List<String> images = new ArrayList<>();
    List<List<List<Integer>>> lists = new ArrayList<>();
    for (int q = 0; q < options.instances(); q++) {
      queries.add(String.format("q%04d", q));
      lists.add(List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>()));
    }
    int[] counts = new int[3];
    try (Progress bar = progress.start("instance views", options.instances() + views.size())) {
      for (int q = 0; q < options.instances(); q++) {
        Path file = out.resolve("queries").resolve(queries.get(q) + ".jpg");
        if (!Files.exists(file)) {
          writeView(used.get(q), queryRegions.get(q), 0, 0, file);
        }
        bar.step();
      }
      for (int i = 0; i < shuffled.length; i++) {
        View v = views.get(shuffled[i]);
        String id = String.format("i%05d", i);
        images.add(id);
        Path file = out.resolve("images").resolve(id + ".jpg");
        if (!Files.exists(file)) {
          writeView(used.get(v.source()), v.region(), v.jitter(), options.seed() * 31 + i, file);
        }
        if (v.kind() != null) {
          lists.get(v.query()).get(v.kind().ordinal()).add(i);
          counts[v.kind().ordinal()]++;
        }
        bar.step();
      }
    }
    Path gnd = out.resolve(GROUND_TRUTH);
    writeGroundTruth(gnd, images, queries, lists);
    preview(out, queries, images, lists);
    return new Result(gnd, queries.size(), images.size(), counts[0], counts[1], counts[2]);
  }

  /**
   * The photos used: first the instances', then the distractor photos, drawn in one order fixed by
   * the seed (so each package takes its share of the pool). Each instance comes from a source image
   * of its own, and the distractors from the source images that give no instance: tiles of one
   * source image are often the panels of one figure (an image beside its thresholded or annotated
   * self), so a distractor or another instance cut from an instance's image could show that
   * instance unlabelled.
   */
  private List<PhotoLibrary.Unit> draw(Rng rng) {
    List<PhotoLibrary.Unit> bench = library.units(PhotoLibrary.BENCH);
    int[] order = rng.permutation(bench.size());
    List<PhotoLibrary.Unit> used = new ArrayList<>();
    Set<String> instanceSources = new HashSet<>();
    for (int i = 0; i < order.length && used.size() < options.instances(); i++) {
      PhotoLibrary.Unit u = bench.get(order[i]);
      if (instanceSources.add(u.source())) {
        used.add(u);
      }
    }
    for (int i = 0; i < order.length && used.size() < options.instances() + options.distractors(); i++) {
      PhotoLibrary.Unit u = bench.get(order[i]);
      if (!instanceSources.contains(u.source())) {
        used.add(u);
      }
    }
    if (used.size() < options.instances() || options.distractors() > 0 && used.size() == options.instances()) {
      long sources = bench.stream().map(PhotoLibrary.Unit::source).distinct().count();
      throw new IllegalArgumentException("the photo library's benchmark photos come from " + sources
          + " source images; " + options.instances() + " instances, each from a source image of its own"
          + (options.distractors() > 0 ? ", and distractors from other source images, need "
              + (options.instances() + 1) : " need " + options.instances()));
    }
    return used;
  }

  /** A view of this kind of the query's photo: drawn again until its coverage of the query region fits the kind. */
  private static View view(Rng rng, int query, PhotoLibrary.Unit u, int[] queryRegion, Kind kind) {
    for (int attempt = 0; ; attempt++) {
      int[] r = kind == Kind.JUNK ? rect(rng, u.width(), u.height(), 0.25, 0.5) : rect(rng, u.width(), u.height(),
          0.45, 0.9);
      double c = coverage(r, queryRegion);
      boolean strong = kind == Kind.HARD && rng.chance(0.5);
      boolean fits = switch (kind) {
        case EASY -> c >= 0.5;
        case HARD -> strong ? c >= 0.5 : c >= 0.25 && c < 0.5;
        case JUNK -> c < 0.25;
      };
      if (fits || attempt == 200) {  // a photo too small to fit keeps the last draw, labelled by its coverage
        Kind label = fits ? kind : c >= 0.5 ? Kind.EASY : c >= 0.25 ? Kind.HARD : Kind.JUNK;
        double jitter = label == Kind.EASY ? rng.uniform(0, EASY_JITTER)
            : strong ? rng.uniform(HARD_JITTER, 1.5 * HARD_JITTER) : rng.uniform(0, HARD_JITTER);
        return new View(query, r, jitter, label, query);
      }
    }
  }

  /** A region of width and height between lo and hi of the photo's, placed anywhere: {x, y, w, h}. */
  static int[] rect(Rng rng, int w, int h, double lo, double hi) {
    int rw = Math.max(8, (int) Math.round(w * rng.uniform(lo, hi)));
    int rh = Math.max(8, (int) Math.round(h * rng.uniform(lo, hi)));
    rw = Math.min(rw, w);
    rh = Math.min(rh, h);
    return new int[] {rng.nextInt(w - rw + 1), rng.nextInt(h - rh + 1), rw, rh};
  }

  /** The share of region b that region a shows. */
  static double coverage(int[] a, int[] b) {
    long iw = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
    long ih = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
    return (double) iw * ih / ((double) b[2] * b[3]);
  }

  /** Crops the region, moves its corners by up to jitter of its sides (a perspective change), scales it to the query side. */
  private void writeView(PhotoLibrary.Unit unit, int[] r, double jitter, long seed, Path file) {
    try (Mat photo = Images.read(library.file(unit));
        Mat crop = ImageOps.crop(photo, r[0], r[1], r[2], r[3]);
        Mat warped = new Mat()) {
      if (jitter > 0) {
        Rng rng = new Rng(seed);
        float w = crop.cols() - 1;
        float h = crop.rows() - 1;
        float[] from = {0, 0, w, 0, w, h, 0, h};
        float[] to = from.clone();
        for (int i = 0; i < 8; i++) {
          to[i] += (float) (rng.uniform(-jitter, jitter) * (i % 2 == 0 ? w : h));
        }
        try (Mat src = points(from);
            Mat dst = points(to);
            Mat m = opencv_imgproc.getPerspectiveTransform(src, dst);
            Size size = new Size(crop.cols(), crop.rows());
            Scalar black = new Scalar(0, 0, 0, 0)) {
          opencv_imgproc.warpPerspective(crop, warped, m, size, opencv_imgproc.INTER_LINEAR,
              opencv_core.BORDER_REFLECT, black);
        }
      } else {
        crop.copyTo(warped);
      }
      try (Mat out = ImageOps.fit(warped, QUERY_SIDE, true)) {
        Images.write(file, out, Images.DEFAULT_JPEG_QUALITY);
      }
    }
  }

  private static Mat points(float[] xy) {
    Mat m = new Mat(4, 1, CV_32FC2);
    try (FloatIndexer ix = m.createIndexer()) {
      for (int i = 0; i < 4; i++) {
        ix.put(i, 0, 0, xy[2 * i]);
        ix.put(i, 0, 1, xy[2 * i + 1]);
      }
    }
    return m;
  }

  private static void writeGroundTruth(Path file, List<String> images, List<String> queries,
      List<List<List<Integer>>> lists) {
    List<Map<String, Object>> gnd = new ArrayList<>();
    for (List<List<Integer>> l : lists) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("easy", l.get(0));
      entry.put("hard", l.get(1));
      entry.put("junk", l.get(2));
      gnd.add(entry);
    }
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("imlist", images);
    root.put("qimlist", queries);
    root.put("gnd", gnd);
    AtomicFile.write(file, tmp -> new ObjectMapper().writeValue(tmp.toFile(), root));
  }

  /** preview.png: the first queries, each beside its views (E easy, H hard, J junk). */
  private static void preview(Path out, List<String> queries, List<String> images, List<List<List<Integer>>> lists) {
    List<ContactSheet.Cell> cells = new ArrayList<>();
    int columns = 1 + lists.get(0).stream().mapToInt(List::size).sum();
    try {
      for (int q = 0; q < Math.min(4, queries.size()); q++) {
        cells.add(new ContactSheet.Cell(Images.read(out.resolve("queries").resolve(queries.get(q) + ".jpg")),
            queries.get(q)));
        String[] marks = {"E ", "H ", "J "};
        int shown = 0;
        for (int k = 0; k < 3; k++) {
          for (int i : lists.get(q).get(k)) {
            if (shown++ < columns - 1) {
              cells.add(new ContactSheet.Cell(Images.read(out.resolve("images").resolve(images.get(i) + ".jpg")),
                  marks[k] + images.get(i)));
            }
          }
        }
        while (cells.size() % columns != 0) {
          try (Scalar grey = new Scalar(40, 40, 40, 0)) {
            cells.add(new ContactSheet.Cell(new Mat(16, 16, opencv_core.CV_8UC3, grey), ""));
          }
        }
      }
      try (Mat sheet = ContactSheet.of(cells, columns, 120)) {
        Images.write(out.resolve("preview.png"), sheet, Images.DEFAULT_JPEG_QUALITY);
      }
    } finally {
      cells.forEach(c -> c.image().close());
    }
  }
}
