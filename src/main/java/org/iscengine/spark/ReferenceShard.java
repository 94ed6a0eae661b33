package org.iscengine.spark;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.iscengine.descriptor.DescriptorFiles;
import org.iscengine.descriptor.Descriptors;
import org.iscengine.descriptor.Hdf5File;

/**
 * Rows [from, from + rows) of one reference descriptor file, which are rows [offset, offset +
 * rows) of all the reference files read in order: their ids in the search, so that equal scores
 * go to the lower one as in one index over every reference.
 */
record ReferenceShard(String file, int from, int rows, long offset) implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * The files cut into shards of at most shardRows rows (null: a shard per file); checks that
   * every file has the given dimension.
   */
  static List<ReferenceShard> plan(List<Path> files, int dimension, Integer shardRows) {
    if (shardRows != null && shardRows < 1) {
      throw new IllegalArgumentException("rows per shard must be >= 1, got " + shardRows);
    }
    List<ReferenceShard> shards = new ArrayList<>();
    long offset = 0;
    for (Path file : files) {
      long[] shape = shape(file);
      if (shape.length != 2 || shape[1] != dimension) {
        throw new IllegalArgumentException(file + ": vectors of shape " + java.util.Arrays.toString(shape)
            + ", the queries have " + dimension + " dimensions");
      }
      int rows = Math.toIntExact(shape[0]);
      int step = shardRows == null ? Math.max(1, rows) : shardRows;
      for (int from = 0; from < rows; from += step) {
        int n = Math.min(step, rows - from);
        shards.add(new ReferenceShard(file.toAbsolutePath().toString(), from, n, offset + from));
      }
      offset += rows;
    }
    if (shards.isEmpty()) {
      throw new IllegalArgumentException("the reference files hold no descriptors");
    }
    return shards;
  }

  /** The shape of a descriptor file's vectors ([rows, dimension] in a valid file). */
  static long[] shape(Path file) {
    try (Hdf5File h5 = Hdf5File.open(file)) {
      return h5.shape(DescriptorFiles.VECTORS);
    }
  }

  /** The ids of every row of the files, in order: what the rows in search results name. They must be unique. */
  static List<String> ids(List<Path> files) {
    List<String> ids = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Path file : files) {
      try (Hdf5File h5 = Hdf5File.open(file)) {
        for (String id : h5.readStrings(DescriptorFiles.IMAGE_NAMES)) {
          if (!seen.add(id)) {
            throw new IllegalArgumentException(file + ": id '" + id + "' appears twice in the reference files");
          }
          ids.add(id);
        }
      }
    }
    return ids;
  }

  /** Total rows of the shards. */
  static long rows(List<ReferenceShard> shards) {
    return shards.stream().mapToLong(ReferenceShard::rows).sum();
  }

  /** Reads the shard's rows (the whole file is read, then cut: split large files into several). */
  Descriptors read() {
    Descriptors whole = DescriptorFiles.read(Path.of(file));
    if (from == 0 && rows == whole.size()) {
      return whole;
    }
    try (whole;
        Tensor part = whole.vectors().narrow(0, from, rows)) {
      return new Descriptors(whole.ids().subList(from, from + rows), part.clone());
    }
  }
}
