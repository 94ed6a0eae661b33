package org.iscengine.kernels;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Checks of tensor arguments shared by the kernels and their callers; messages name the value. */
public final class TensorChecks {
  private TensorChecks() {}

  /** A [n, d] float32 contiguous matrix of finite values. */
  public static void matrix(String name, Tensor t) {
    matrix(name, t, EnumSet.of(ScalarType.Float));
  }

  /** A [n, d] contiguous matrix of finite values of one of these dtypes. */
  public static void matrix(String name, Tensor t, Set<ScalarType> dtypes) {
    if (t == null || t.isNull() || !t.defined()) {
      throw new IllegalArgumentException(name + " is null or undefined");
    }
    long[] shape = Tensors.shape(t);
    if (shape.length != 2) {
      throw new IllegalArgumentException(name + " must be a 2-D [n, d] matrix, got shape " + Arrays.toString(shape));
    }
    if (shape[1] < 1) {
      throw new IllegalArgumentException(name + " has dimension 0: shape " + Arrays.toString(shape));
    }
    if (!dtypes.contains(Tensors.dtype(t))) {
      throw new IllegalArgumentException(
          name + " must be " + (dtypes.size() == 1 ? "float32" : "one of " + dtypes) + ", got " + Tensors.dtype(t));
    }
    if (!t.is_contiguous()) {
      throw new IllegalArgumentException(name + " must be contiguous (row-major); call contiguous() first");
    }
    finite(name, t);
  }

  /** Fails, naming the first row, when t holds NaN or an infinity. */
  public static void finite(String name, Tensor t) {
    if (t.numel() == 0) {
      return;
    }
    try (Tensor ok = t.isfinite();
        Tensor all = ok.all()) {
      if (all.item_bool()) {
        return;
      }
      try (Tensor bad = ok.logical_not();
          Tensor rows = bad.any(1);
          Tensor first = rows.nonzero()) {
        long row = first.select(0, 0).item_long();
        throw new IllegalArgumentException(name + " contains NaN or infinity (row " + row + ")");
      }
    }
  }

  public static void k(int k) {
    if (k < 1 || k > Knn.MAX_K) {
      throw new IllegalArgumentException("k must be in [1, " + Knn.MAX_K + "], got " + k);
    }
  }

  public static void sameDimension(Tensor queries, Tensor refs) {
    if (queries.size(1) != refs.size(1)) {
      throw new IllegalArgumentException(
          "dimension mismatch: queries have d=" + queries.size(1) + ", references d=" + refs.size(1));
    }
  }

  public static void sameDevice(Tensor queries, Tensor refs) {
    if (queries.is_cuda() != refs.is_cuda()
        || (queries.is_cuda() && Tensors.deviceIndex(queries) != Tensors.deviceIndex(refs))) {
      throw new IllegalArgumentException(
          "queries are on " + Tensors.deviceName(queries) + " but references on " + Tensors.deviceName(refs));
    }
  }
}
