package org.iscengine.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.zip.CRC32;
import org.bytedeco.opencv.opencv_core.Mat;
import org.iscengine.augment.Augmenter;
import org.iscengine.augment.ImagePool;
import org.iscengine.augment.Presets;
import org.iscengine.augment.Resources;
import org.iscengine.augment.Rng;
import org.iscengine.image.ContactSheet;
import org.iscengine.image.Images;
import org.iscengine.io.AtomicFile;
import org.iscengine.progress.Parallel;
import org.iscengine.progress.Progress;
import org.iscengine.runtime.Versions;

/**
 * A small copy-detection benchmark in the DISC21 layout: reference_images/R000000.jpg ...,
 * query_images/Q00000.jpg ..., training_images/T000000.jpg ..., ground_truth.csv
 * ("query_id,reference_id", the reference empty for distractor queries) and query_edits.csv (the
 * edits that made each query, for evaluation per edit). References are benchmark photos; copy
 * queries are edited copies of some of them; distractor queries are edited benchmark photos from
 * source images that give no reference; training images come from the disjoint training pool
 * (which also gives the overlay backgrounds). preview.png shows some queries beside their
 * references. The benchmark pool is split by source photo into a test part (the standard
 * benchmark) and a validation part for tuning, which share no source image. Deterministic for a
 * seed; resumable.
 */
public final class MiniDiscBuilder {
  /** The benchmark pool's two parts: the standard benchmark, and one for tuning recipes. */
  public static final String TEST = "test";

  public static final String VALIDATION = "validation";

  /** Which edits made each query: "query_id,edits", the edits (the preset's names) joined by "+". */
  public static final String QUERY_EDITS = "query_edits.csv";

  private static final String EDIT_SEPARATOR = "+";

  /** One source photo in this many goes to the validation split. */
  static final int VALIDATION_EVERY = 5;

  /**
   * Settings of a build; split says which part of the benchmark pool gives the references and
   * queries ({@link #TEST} or {@link #VALIDATION}, see {@link #split(String)}).
   */
  public record Options(
      int references, int queries, double copyFraction, int training, long seed, String preset, int querySize,
      String split) {
    /** A build on the test split. */
    public Options(
        int references, int queries, double copyFraction, int training, long seed, String preset, int querySize) {
      this(references, queries, copyFraction, training, seed, preset, querySize, TEST);
    }

    public Options {
      if (!TEST.equals(split) && !VALIDATION.equals(split)) {
        throw new IllegalArgumentException("split must be " + TEST + " or " + VALIDATION + ", got " + split);
      }
      if (references < 1 || queries < 1) {
        throw new IllegalArgumentException("references and queries must be >= 1, got " + references + ", " + queries);
      }
      if (!(copyFraction >= 0 && copyFraction <= 1)) {
        throw new IllegalArgumentException("copy fraction must be in [0, 1], got " + copyFraction);
      }
      Presets.named(preset, Math.max(1, querySize));  // fails early on an unknown preset
    }

    int copies() {
      return (int) Math.round(queries * copyFraction);
    }
  }

  /** The manifest: settings, sources and counts (no time stamps: equal builds give equal files). */
  public record Manifest(
      String layout,
      String engineVersion,
      Options options,
      int referenceCount,
      int queryCount,
      int copyQueries,
      int distractorQueries,
      int trainingCount,
      List<String> references,
      List<String> queries,
      List<String> training,
      List<String> fonts,
      String emoji) {}

  /** What a build wrote. */
  public record Result(Path root, Manifest manifest, List<String> failures) {}

  private static final int PREVIEW_PAIRS = 9;
  private static final int PREVIEW_COLUMNS = 6;

  private final PhotoLibrary library;
  private final Resources resources;
  private final Options options;
  private final int threads;
  private final Progress.Factory progress;

  /** The thread count changes nothing in the output, so it is not part of the options. */
  public MiniDiscBuilder(
      PhotoLibrary library, Resources resources, Options options, int threads, Progress.Factory progress) {
    this.library = library;
    this.resources = resources.withOthers(ImagePool.of(library.training()));
    this.options = options;
    this.threads = threads;
    this.progress = progress;
  }

  /**
   * The split a benchmark photo belongs to, from a checksum of its source image's name: every
   * tile of one photo lands in the same split, so the two splits share no source image, and the
   * partition is the same on every machine and for every seed.
   */
  public static String split(String source) {
    CRC32 crc = new CRC32();
    crc.update(source.getBytes(StandardCharsets.UTF_8));
    return crc.getValue() % VALIDATION_EVERY == 0 ? VALIDATION : TEST;
  }

  public Result build(Path out) {
    List<PhotoLibrary.Unit> units = library.units(PhotoLibrary.BENCH).stream()
        .filter(u -> split(u.source()).equals(options.split()))
        .toList();
    List<Path> bench = units.stream().map(library::file).toList();
    List<Double> graphic = units.stream().map(PhotoLibrary.Unit::dominantShare).toList();
    List<Path> train = library.training();
    int copies = options.copies();
    int distractors = options.queries() - copies;
    int needed = options.references() + distractors;
    if (needed > bench.size()) {
      throw new IllegalArgumentException("the " + options.split() + " split of the benchmark pool has "
          + bench.size() + " photos, but "
          + options.references() + " references and " + distractors + " distractor queries need " + needed
          + ": ask for fewer, or collect with a smaller --bench-tile");
    }
    if (copies > options.references()) {
      throw new IllegalArgumentException(copies + " copy queries need at least as many references");
    }
    // The most photo-like units play the parts (documentation screenshots and diagrams come last);
    // which one plays which part is fixed by the seed.
    int[] photoLike = IntStream.range(0, bench.size()).boxed()
        .sorted(Comparator.comparingDouble(graphic::get))
        .mapToInt(Integer::intValue)
        .toArray();
    int[] distractorUnits = drawDistractors(units, Arrays.copyOf(photoLike, needed), distractors);
    Set<String> distractorSources = new HashSet<>();
    for (int d : distractorUnits) {
      distractorSources.add(units.get(d).source());
    }
    int[] referenceUnits = Arrays.stream(photoLike)
        .filter(i -> !distractorSources.contains(units.get(i).source()))
        .limit(options.references())
        .sorted()
        .toArray();
    if (referenceUnits.length < options.references()) {
      throw new IllegalArgumentException("the " + options.split() + " split of the benchmark pool has "
          + referenceUnits.length + " photos from source images that give no distractor query, but "
          + options.references() + " references are asked for: ask for fewer, or collect with a smaller --bench-tile");
    }
    Rng.of(options.seed(), 1).shuffle(referenceUnits);
    int[] copied = Rng.of(options.seed(), 2).permutation(options.references());
    int[] queryOrder = Rng.of(options.seed(), 3).permutation(options.queries());
    int trainingCount = options.training() < 0 ? train.size() : Math.min(options.training(), train.size());
    int[] trainOrder = Rng.of(options.seed(), 4).permutation(train.size());

    List<String> referenceSources = new ArrayList<>();
    for (int r = 0; r < options.references(); r++) {
      referenceSources.add(name(bench.get(referenceUnits[r])));
    }
    // Query q's source: a reference (q < copies in the drawing order) or a distractor photo.
    int[] querySource = new int[options.queries()];
    int[] queryReference = new int[options.queries()];
    List<String> querySources = new ArrayList<>();
    for (int q = 0; q < options.queries(); q++) {
      int slot = queryOrder[q];
      if (slot < copies) {
        queryReference[q] = copied[slot];
        querySource[q] = referenceUnits[copied[slot]];
      } else {
        queryReference[q] = -1;
        querySource[q] = distractorUnits[slot - copies];
      }
      querySources.add(name(bench.get(querySource[q])));
    }
    List<String> trainingSources = new ArrayList<>();
    for (int t = 0; t < trainingCount; t++) {
      trainingSources.add(name(train.get(trainOrder[t])));
    }
    Manifest manifest = new Manifest("DISC21", Versions.engine(), options, options.references(), options.queries(),
        copies, distractors, trainingCount, referenceSources, querySources, trainingSources,
        resources.fonts().files().stream().map(p -> p.getFileName().toString()).toList(), resources.emoji().source());
    BuildFolder.claim(out, manifest);

    Path references = out.resolve("reference_images");
    Path queries = out.resolve("query_images");
    Path training = out.resolve("training_images");
    List<String> failures = new ArrayList<>();
    Parallel.run("references", options.references(), threads, progress,
        r -> BuildFolder.copy(bench.get(referenceUnits[r]), references.resolve(String.format("R%06d.jpg", r))))
        .forEach(f -> failures.add("R" + f.index() + ": " + f.message()));
    Augmenter augmenter = Augmenter.preset(options.preset(), options.querySize(), resources);
    Map<String, List<String>> knownEdits = Files.exists(out.resolve(QUERY_EDITS)) ? readQueryEdits(out)
        : Map.of();
    String[] edits = new String[options.queries()];
    Parallel.run("queries", options.queries(), threads, progress, q -> {
      String id = String.format("Q%05d", q);
      Path target = queries.resolve(id + ".jpg");
      boolean written = Files.exists(target);
      if (written && knownEdits.containsKey(id)) {
        edits[q] = String.join(EDIT_SEPARATOR, knownEdits.get(id));
        return;
      }
      // A query written by a build that did not record its edits is edited again to learn them: same seed, same edits.
      try (Mat source = Images.read(bench.get(querySource[q]))) {
        Augmenter.Edited edited = augmenter.applyRecorded(source, Rng.of(options.seed(), 1_000_000L + q).nextLong());
        try (Mat image = edited.image()) {
          if (!written) {
            Images.write(target, image, 90);
          }
        }
        edits[q] = String.join(EDIT_SEPARATOR, edited.edits());
      }
    }).forEach(f -> failures.add(String.format("Q%05d", f.index()) + ": " + f.message()));
    Parallel.run("training", trainingCount, threads, progress,
        t -> BuildFolder.copy(train.get(trainOrder[t]), training.resolve(String.format("T%06d.jpg", t))))
        .forEach(f -> failures.add("T" + f.index() + ": " + f.message()));

    StringBuilder csv = new StringBuilder("query_id,reference_id\n");
    for (int q = 0; q < options.queries(); q++) {
      csv.append(String.format("Q%05d,", q));
      if (queryReference[q] >= 0) {
        csv.append(String.format("R%06d", queryReference[q]));
      }
      csv.append('\n');
    }
    byte[] groundTruth = csv.toString().getBytes(StandardCharsets.US_ASCII);
    AtomicFile.write(out.resolve("ground_truth.csv"), tmp -> Files.write(tmp, groundTruth));
    StringBuilder editsCsv = new StringBuilder("query_id,edits\n");
    for (int q = 0; q < options.queries(); q++) {
      if (edits[q] != null) {
        editsCsv.append(String.format("Q%05d,%s%n", q, edits[q]));
      }
    }
    byte[] editBytes = editsCsv.toString().getBytes(StandardCharsets.US_ASCII);
    AtomicFile.write(out.resolve(QUERY_EDITS), tmp -> Files.write(tmp, editBytes));
    preview(out, queryReference);
    return new Result(out, manifest, failures);
  }

  /**
   * The units that give the distractor queries: whole source images, drawn in an order fixed by
   * the seed, none of whose units may then be a reference. Tiles of one image are often the
   * panels of a before-and-after figure (an image beside its thresholded or annotated self), so a
   * distractor cut from a reference's image would be a copy the ground truth calls none. Sources
   * are taken whole while they fit; if that leaves the count short, the first one skipped for its
   * size gives part of its units.
   *
   * @param candidates the units that may play a part, in any order
   */
  private int[] drawDistractors(List<PhotoLibrary.Unit> units, int[] candidates, int count) {
    Map<String, List<Integer>> bySource = new TreeMap<>();
    for (int i : IntStream.of(candidates).sorted().toArray()) {
      bySource.computeIfAbsent(units.get(i).source(), s -> new ArrayList<>()).add(i);
    }
    List<List<Integer>> sources = new ArrayList<>(bySource.values());
    int[] order = Rng.of(options.seed(), 5).permutation(sources.size());
    List<Integer> chosen = new ArrayList<>();
    List<Integer> skipped = new ArrayList<>();
    for (int s : order) {
      List<Integer> source = sources.get(s);
      if (chosen.size() + source.size() <= count) {
        chosen.addAll(source);
      } else {
        skipped.add(s);
      }
    }
    for (int s : skipped) {
      if (chosen.size() == count) {
        break;
      }
      List<Integer> source = sources.get(s);
      chosen.addAll(source.subList(0, Math.min(source.size(), count - chosen.size())));
    }
    return chosen.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Each query's edits, in the order applied, as {@code QUERY_EDITS} holds them (one
   * "query_id,edits" row per query, the edits joined by "+"; a preset without named edits gives an
   * empty list).
   */
  public static Map<String, List<String>> readQueryEdits(Path benchmark) {
    Path file = benchmark.resolve(QUERY_EDITS);
    Map<String, List<String>> out = new LinkedHashMap<>();
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
      for (int i = 1; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (line.isEmpty()) {
          continue;
        }
        int comma = line.indexOf(',');
        if (comma <= 0) {
          throw new IllegalArgumentException(file + ":" + (i + 1) + ": expected query_id,edits, got '" + line + "'");
        }
        String edits = line.substring(comma + 1).strip();
        out.put(line.substring(0, comma), edits.isEmpty() ? List.of() : List.of(edits.split("\\+")));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** preview.png: the first copy queries beside their references, then distractor queries. */
  private static void preview(Path out, int[] queryReference) {
    List<ContactSheet.Cell> cells = new ArrayList<>();
    List<Integer> distractors = new ArrayList<>();
    for (int q = 0; q < queryReference.length && cells.size() < 2 * PREVIEW_PAIRS; q++) {
      if (queryReference[q] < 0) {
        distractors.add(q);
        continue;
      }
      String r = String.format("R%06d", queryReference[q]);
      String query = String.format("Q%05d", q);
      Path rf = out.resolve("reference_images/" + r + ".jpg");
      Path qf = out.resolve("query_images/" + query + ".jpg");
      if (Files.exists(rf) && Files.exists(qf)) {
        cells.add(new ContactSheet.Cell(Images.read(rf), r));
        cells.add(new ContactSheet.Cell(Images.read(qf), query + " copy"));
      }
    }
    for (int q : distractors.subList(0, Math.min(PREVIEW_COLUMNS, distractors.size()))) {
      Path qf = out.resolve(String.format("query_images/Q%05d.jpg", q));
      if (Files.exists(qf)) {
        cells.add(new ContactSheet.Cell(Images.read(qf), String.format("Q%05d none", q)));
      }
    }
    if (cells.isEmpty()) {
      return;
    }
    try (Mat sheet = ContactSheet.of(cells, PREVIEW_COLUMNS, 160)) {
      Images.write(out.resolve("preview.png"), sheet, Images.DEFAULT_JPEG_QUALITY);
    } finally {
      cells.forEach(c -> c.image().close());
    }
  }

  private String name(Path file) {
    return library.root().relativize(file).toString();
  }
}
