package org.iscengine.spark;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.iscengine.extract.ImageList;

/**
 * One partition of an extraction: a run of consecutive images of the list, sent to an executor
 * by id and path (both strings, so that it serialises).
 *
 * @param index the partition's number, which names its shard
 * @param ids image ids, in list order
 * @param files their files
 */
public record ImagePartition(int index, List<String> ids, List<String> files) implements Serializable {
  private static final long serialVersionUID = 1L;

  public ImagePartition {
    ids = List.copyOf(ids);
    files = List.copyOf(files);
    if (ids.size() != files.size()) {
      throw new IllegalArgumentException("partition " + index + ": " + ids.size() + " ids for " + files.size()
          + " files");
    }
  }

  /** The list cut into this many runs of consecutive images, the first ones one image longer when it does not divide. */
  public static List<ImagePartition> split(ImageList images, int partitions) {
    int n = images.size();
    if (partitions < 1 || partitions > n) {
      throw new IllegalArgumentException("partitions must be in [1, " + n + "] for " + n + " images, got "
          + partitions);
    }
    List<ImagePartition> result = new ArrayList<>(partitions);
    for (int p = 0, from = 0; p < partitions; p++) {
      int to = from + n / partitions + (p < n % partitions ? 1 : 0);
      List<String> files = images.files().subList(from, to).stream().map(f -> f.toAbsolutePath().toString()).toList();
      result.add(new ImagePartition(p, images.ids().subList(from, to), files));
      from = to;
    }
    return result;
  }

  /** The images, as the engine's extractor takes them. */
  public ImageList images() {
    return new ImageList(ids, files.stream().map(Path::of).toList());
  }

  public int size() {
    return ids.size();
  }
}
