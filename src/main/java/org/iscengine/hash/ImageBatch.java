package org.iscengine.hash;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.iscengine.extract.Extractor;
import org.iscengine.extract.ImageList;
import org.iscengine.progress.Parallel;
import org.iscengine.progress.Progress;

/**
 * Runs a per-image function (a hash, a thumbnail) over an image list on a pool of threads, one
 * image per thread at a time. An image that cannot be read (the function throws) is skipped and
 * reported with its file and the reason, as {@code isc extract} does; the others come back in
 * list order.
 */
public final class ImageBatch {
  private ImageBatch() {}

  /**
   * What a run produced: the ids and values of the images that worked, in list order, the images
   * that did not, and the wall time.
   */
  public record Result<T>(List<String> ids, List<T> values, List<Extractor.Failure> failures, double seconds) {
    public Result {
      ids = List.copyOf(ids);
      values = List.copyOf(values);
      failures = List.copyOf(failures);
    }

    /** Images done per second (failed ones included: they were read too). */
    public double imagesPerSecond() {
      return seconds == 0 ? 0 : (ids.size() + failures.size()) / seconds;
    }
  }

  /**
   * Applies f to every file of the list.
   *
   * @param task the progress bar's label
   * @param workers threads, at least 1
   */
  public static <T> Result<T> map(ImageList images, Function<Path, T> f, int workers, Progress.Factory progress,
      String task) {
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be >= 1, got " + workers);
    }
    long start = System.nanoTime();
    int n = images.size();
    Object[] values = new Object[n];
    String[] errors = new String[n];
    Parallel.run(task, n, workers, progress, i -> {
      try {
        values[i] = f.apply(images.files().get(i));
      } catch (RuntimeException e) {
        errors[i] = reason(e, images.files().get(i).toString());
      }
    });
    List<String> ids = new ArrayList<>(n);
    List<T> out = new ArrayList<>(n);
    List<Extractor.Failure> failures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (errors[i] != null) {
        failures.add(new Extractor.Failure(images.ids().get(i), images.files().get(i).toString(), errors[i]));
      } else {
        ids.add(images.ids().get(i));
        @SuppressWarnings("unchecked")
        T v = (T) values[i];
        out.add(v);
      }
    }
    return new Result<>(ids, out, failures, (System.nanoTime() - start) / 1e9);
  }

  /** The exception's message without the file name it starts with (the failure names the file). */
  private static String reason(RuntimeException e, String file) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    return message.startsWith(file + ": ") ? message.substring(file.length() + 2) : message;
  }
}
