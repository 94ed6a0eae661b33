package org.iscengine.descriptor;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.BoolPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** What descriptor files must satisfy; each check names the file, the row or id at fault. */
final class DescriptorChecks {
  /** The descriptor track's limit on dimensions. */
  static final int SUBMISSION_MAX_DIM = 256;

  static final Pattern QUERY_ID = Pattern.compile("Q\\d{5}");
  static final Pattern REFERENCE_ID = Pattern.compile("R\\d{6}");

  private DescriptorChecks() {}

  static void shape(String where, List<String> ids, Tensor vectors) {
    if (vectors.size(0) != ids.size()) {
      throw new IllegalArgumentException(where + ": " + vectors.size(0) + " vectors but " + ids.size() + " ids");
    }
    if (vectors.size(1) < 1) {
      throw new IllegalArgumentException(where + ": vectors have no dimensions");
    }
  }

  static void finite(String where, List<String> ids, Tensor vectors) {
    try (Tensor finite = torch.isfinite(vectors);
        Tensor rows = finite.all(1);
        Tensor all = rows.all()) {
      if (all.item_bool()) {
        return;
      }
      try (Tensor cpu = rows.cpu().contiguous();
          BoolPointer p = new BoolPointer(cpu.data_ptr())) {
        for (int i = 0; i < ids.size(); i++) {
          if (!p.get(i)) {
            throw new IllegalArgumentException(where + ": the vector of '" + ids.get(i) + "' (row " + i
                + ") holds NaN or infinite values");
          }
        }
      }
    }
  }

  static void unique(String where, List<String> ids) {
    Set<String> seen = new HashSet<>(ids.size() * 2);
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get(i);
      if (id.isEmpty()) {
        throw new IllegalArgumentException(where + ": empty id at row " + i);
      }
      if (!seen.add(id)) {
        throw new IllegalArgumentException(where + ": duplicate id '" + id + "' (again at row " + i + ")");
      }
    }
  }

  static void idFormat(String where, List<String> ids, Pattern format, String example) {
    for (int i = 0; i < ids.size(); i++) {
      if (!format.matcher(ids.get(i)).matches()) {
        throw new IllegalArgumentException(where + ": id '" + ids.get(i) + "' at row " + i + " is not of the form "
            + example);
      }
    }
  }

  static void submissionDimension(String where, int dim) {
    if (dim > SUBMISSION_MAX_DIM) {
      throw new IllegalArgumentException(where + ": " + dim + " dimensions; the descriptor track allows at most "
          + SUBMISSION_MAX_DIM);
    }
  }
}
