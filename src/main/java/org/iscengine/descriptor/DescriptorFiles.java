package org.iscengine.descriptor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.io.AtomicFile;

/**
 * Descriptor files in HDF5, as the ISC21 tools read and write them:
 *
 * <ul>
 *   <li>a split file: {@code vectors} float32 [n, d] and {@code image_names} [n] byte strings;
 *   <li>a submission: {@code query} [nq, d], {@code reference} [nr, d], {@code query_ids} and
 *       {@code reference_ids} (fixed-length ASCII, Q00000 and R000000).
 * </ul>
 *
 * Reading validates (shapes agree, values finite, ids unique; for a submission also the id
 * format and at most 256 dimensions); writing goes to a temporary file renamed into place, so
 * a failed write never leaves a half-written file.
 */
public final class DescriptorFiles {
  public static final String VECTORS = "vectors";
  public static final String IMAGE_NAMES = "image_names";
  public static final String QUERY = "query";
  public static final String REFERENCE = "reference";
  public static final String QUERY_IDS = "query_ids";
  public static final String REFERENCE_IDS = "reference_ids";

  private DescriptorFiles() {}

  /** Queries and references of a submission file. */
  public record Submission(Descriptors queries, Descriptors references) implements AutoCloseable {
    @Override
    public void close() {
      queries.close();
      references.close();
    }
  }

  /** A split file. */
  public static Descriptors read(Path file) {
    try (Hdf5File h5 = Hdf5File.open(file)) {
      return read(h5, VECTORS, IMAGE_NAMES);
    }
  }

  /** Several split files, concatenated in the order given (ids must stay unique). */
  public static Descriptors read(List<Path> files) {
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no descriptor files given");
    }
    if (files.size() == 1) {
      return read(files.get(0));
    }
    List<String> ids = new ArrayList<>();
    try (TensorVector parts = new TensorVector()) {
      int dim = -1;
      for (Path f : files) {
        try (Descriptors d = read(f)) {
          if (dim >= 0 && d.dim() != dim) {
            throw new IllegalArgumentException(f + ": " + d.dim() + " dimensions, but " + files.get(0) + " has " + dim);
          }
          dim = d.dim();
          ids.addAll(d.ids());
          parts.push_back(d.vectors());
        }
      }
      Tensor all = torch.cat(parts);
      DescriptorChecks.unique(files.size() + " files " + files.get(0) + "...", ids);
      return new Descriptors(ids, all);
    }
  }

  public static void write(Path file, Descriptors descriptors) {
    DescriptorChecks.unique(file.toString(), descriptors.ids());
    AtomicFile.write(file, tmp -> {
      try (Hdf5File h5 = Hdf5File.create(tmp)) {
        h5.writeFloatMatrix(VECTORS, descriptors.vectors());
        h5.writeStrings(IMAGE_NAMES, descriptors.ids());
      }
    });
  }

  /**
   * A submission file. With strict checks (as the descriptor track's rules), ids must read
   * Q00000 / R000000 and there may be at most 256 dimensions.
   */
  public static Submission readSubmission(Path file, boolean strict) {
    try (Hdf5File h5 = Hdf5File.open(file)) {
      Descriptors queries = read(h5, QUERY, QUERY_IDS);
      try {
        Descriptors references = read(h5, REFERENCE, REFERENCE_IDS);
        try {
          checkSubmission(file.toString(), queries, references, strict);
          return new Submission(queries, references);
        } catch (RuntimeException e) {
          references.close();
          throw e;
        }
      } catch (RuntimeException e) {
        queries.close();
        throw e;
      }
    }
  }

  public static void writeSubmission(Path file, Descriptors queries, Descriptors references, boolean strict) {
    checkSubmission(file.toString(), queries, references, strict);
    AtomicFile.write(file, tmp -> {
      try (Hdf5File h5 = Hdf5File.create(tmp)) {
        h5.writeFloatMatrix(QUERY, queries.vectors());
        h5.writeStrings(QUERY_IDS, queries.ids());
        h5.writeFloatMatrix(REFERENCE, references.vectors());
        h5.writeStrings(REFERENCE_IDS, references.ids());
      }
    });
  }

  private static void checkSubmission(String where, Descriptors queries, Descriptors references, boolean strict) {
    if (queries.dim() != references.dim()) {
      throw new IllegalArgumentException(where + ": queries have " + queries.dim() + " dimensions, references "
          + references.dim());
    }
    DescriptorChecks.unique(where + " (queries)", queries.ids());
    DescriptorChecks.unique(where + " (references)", references.ids());
    DescriptorChecks.finite(where + " (queries)", queries.ids(), queries.vectors());
    DescriptorChecks.finite(where + " (references)", references.ids(), references.vectors());
    if (strict) {
      DescriptorChecks.submissionDimension(where, queries.dim());
      DescriptorChecks.idFormat(where + " (queries)", queries.ids(), DescriptorChecks.QUERY_ID, "Q00000");
      DescriptorChecks.idFormat(where + " (references)", references.ids(), DescriptorChecks.REFERENCE_ID, "R000000");
    }
  }

  private static Descriptors read(Hdf5File h5, String vectorsName, String idsName) {
    String where = h5.path() + " (" + vectorsName + ")";
    List<String> ids = h5.readStrings(idsName);
    Tensor vectors = h5.readFloatMatrix(vectorsName);
    try {
      DescriptorChecks.shape(where, ids, vectors);
      DescriptorChecks.finite(where, ids, vectors);
      DescriptorChecks.unique(h5.path() + " (" + idsName + ")", ids);
      return new Descriptors(ids, vectors);
    } catch (RuntimeException e) {
      vectors.close();
      throw e;
    }
  }
}
