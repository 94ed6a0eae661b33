package org.iscengine.descriptor;

import java.nio.file.Path;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.io.AtomicFile;
import org.iscengine.kernels.TensorChecks;

/**
 * PCA, or PCA-whitening, learned on training descriptors: y = (x - mean) V diag(lambda^power),
 * V the top eigenvectors of the covariance (computed in float64), power 0 for plain PCA and
 * -0.5 for whitening (FAISS's PCAMatrix eigen_power; "PCAW" in its index_factory). Eigenvector
 * signs are fixed (largest component positive) so that a fit is reproducible. Saved to and
 * loaded from HDF5. Immutable; close to free the tensors.
 */
public final class Pca implements AutoCloseable {
  /** Whitening's eigenvalue power. */
  public static final double WHITEN = -0.5;

  /** Eigenvalues at or below this fraction of the largest count as zero (rank deficiency). */
  private static final double RANK_TOLERANCE = 1e-10;

  private static final long CHUNK = 65536;

  private final Tensor mean;
  private final Tensor projection;
  private final double[] eigenvalues;
  private final double eigenPower;

  private Pca(Tensor mean, Tensor projection, double[] eigenvalues, double eigenPower) {
    this.mean = mean;
    this.projection = projection;
    this.eigenvalues = eigenvalues;
    this.eigenPower = eigenPower;
  }

  /** Learns a projection to dim dimensions from [n, d] float32 training rows. */
  public static Pca fit(Tensor training, int dim, double eigenPower) {
    TensorChecks.matrix("training descriptors", training);
    return fit(Moments.of(training), dim, eigenPower);
  }

  /**
   * The count, mean and scatter (sum of the centred rows' outer products) of training rows, in
   * float64: what a PCA is learned from. Moments of disjoint row sets merge into those of their
   * union (Chan, Golub and LeVeque's pairwise update), so that they can be gathered in a tree.
   *
   * @param mean d values
   * @param scatter d x d values, row-major
   */
  public record Moments(long count, double[] mean, double[] scatter) implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    public Moments {
      if (count < 0 || scatter.length != (long) mean.length * mean.length) {
        throw new IllegalArgumentException("PCA moments: " + count + " rows, mean of " + mean.length
            + " and scatter of " + scatter.length + " values");
      }
    }

    /** The moments of [n, d] float32 rows. */
    public static Moments of(Tensor rows) {
      TensorChecks.matrix("training descriptors", rows);
      long d = rows.size(1);
      if (rows.size(0) == 0) {
        return new Moments(0, new double[(int) d], new double[(int) (d * d)]);
      }
      try (ScalarTypeOptional f64 = new ScalarTypeOptional(ScalarType.Double);
          Tensor mean64 = rows.mean(new long[] {0}, false, f64);
          Tensor scatter = Pca.scatter(rows, mean64)) {
        return new Moments(rows.size(0), doubles(mean64), doubles(scatter));
      }
    }

    /** The moments of both row sets together. */
    public static Moments merge(Moments a, Moments b) {
      if (a.mean.length != b.mean.length) {
        throw new IllegalArgumentException("PCA moments of " + a.mean.length + " and " + b.mean.length
            + " dimensions");
      }
      if (a.count == 0 || b.count == 0) {
        return a.count == 0 ? b : a;
      }
      int d = a.mean.length;
      long n = a.count + b.count;
      double share = (double) b.count / n;
      double cross = (double) a.count * b.count / n;
      double[] delta = new double[d];
      double[] mean = new double[d];
      for (int i = 0; i < d; i++) {
        delta[i] = b.mean[i] - a.mean[i];
        mean[i] = a.mean[i] + delta[i] * share;
      }
      double[] scatter = new double[d * d];
      for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++) {
          scatter[i * d + j] = a.scatter[i * d + j] + b.scatter[i * d + j] + delta[i] * delta[j] * cross;
        }
      }
      return new Moments(n, mean, scatter);
    }
  }

  /** Learns a projection to dim dimensions from the moments of the training rows. */
  public static Pca fit(Moments moments, int dim, double eigenPower) {
    long n = moments.count();
    long d = moments.mean().length;
    if (dim < 1 || dim > d) {
      throw new IllegalArgumentException("PCA dimension must be in [1, " + d + "], got " + dim);
    }
    if (n < 2) {
      throw new IllegalArgumentException("PCA needs at least 2 training descriptors, got " + n);
    }
    if (!Double.isFinite(eigenPower) || eigenPower > 0) {
      throw new IllegalArgumentException("PCA eigen power must be <= 0 (0: PCA, -0.5: whitening), got " + eigenPower);
    }
    try (Tensor mean64 = float64(moments.mean(), d);
        Tensor scatter = float64(moments.scatter(), d, d);
        Scalar count = new Scalar((double) n);
        Tensor covariance = scatter.div(count);
        T_TensorTensor_T eigen = torch.linalg_eigh(covariance);
        Tensor values = new Tensor(eigen.get0());
        Tensor vectors = new Tensor(eigen.get1());
        Tensor topValues = values.narrow(0, d - dim, dim).flip(0);
        Tensor topVectors = vectors.narrow(1, d - dim, dim).flip(1)) {
      double[] kept = doubles(topValues);
      double largest = doubles(values)[(int) d - 1];
      if (eigenPower < 0) {
        for (int i = 0; i < dim; i++) {
          if (!(kept[i] > RANK_TOLERANCE * largest)) {
            throw new IllegalArgumentException("the training descriptors span only " + i
                + " dimensions (eigenvalue " + i + " is " + kept[i] + "): whitening to " + dim
                + " dimensions is undefined; ask for at most " + i);
          }
        }
      }
      try (Tensor signed = fixSigns(topVectors);
          Tensor scales = scales(kept, eigenPower);
          Tensor scaled = signed.mul(scales)) {
        return new Pca(mean64.to(ScalarType.Float), scaled.to(ScalarType.Float).contiguous(), kept, eigenPower);
      }
    }
  }

  /** PCA-whitening to dim dimensions. */
  public static Pca whitening(Tensor training, int dim) {
    return fit(training, dim, WHITEN);
  }

  /** The projected rows, a new [n, outputDim] float32 tensor (not normalised). */
  public Tensor apply(Tensor x) {
    TensorChecks.matrix("descriptors", x);
    if (x.size(1) != inputDim()) {
      throw new IllegalArgumentException("the PCA takes " + inputDim() + " dimensions, the descriptors have "
          + x.size(1));
    }
    try (Tensor centred = x.sub(mean)) {
      return centred.mm(projection);
    }
  }

  public int inputDim() {
    return (int) projection.size(0);
  }

  public int outputDim() {
    return (int) projection.size(1);
  }

  /** The kept eigenvalues of the training covariance, largest first. */
  public double[] eigenvalues() {
    return eigenvalues.clone();
  }

  public double eigenPower() {
    return eigenPower;
  }

  public void save(Path file) {
    AtomicFile.write(file, tmp -> {
      try (Hdf5File h5 = Hdf5File.create(tmp);
          Tensor row = mean.unsqueeze(0)) {
        h5.writeFloatMatrix("mean", row);
        h5.writeFloatMatrix("projection", projection);
        h5.writeDoubles("eigenvalues", eigenvalues);
        h5.writeDoubles("eigen_power", new double[] {eigenPower});
      }
    });
  }

  public static Pca load(Path file) {
    try (Hdf5File h5 = Hdf5File.open(file)) {
      Tensor projection = h5.readFloatMatrix("projection");
      try (Tensor row = h5.readFloatMatrix("mean")) {
        double[] eigenvalues = h5.readDoubles("eigenvalues");
        double[] power = h5.readDoubles("eigen_power");
        if (row.size(0) != 1 || row.size(1) != projection.size(0) || eigenvalues.length != projection.size(1)
            || power.length != 1) {
          throw new IllegalArgumentException(file + ": inconsistent PCA (mean, projection and eigenvalues disagree)");
        }
        return new Pca(row.squeeze(0).contiguous(), projection, eigenvalues, power[0]);
      } catch (RuntimeException e) {
        projection.close();
        throw e;
      }
    }
  }

  @Override
  public void close() {
    mean.close();
    projection.close();
  }

  /** (X - mean)^T (X - mean) in float64, a chunk of rows at a time. */
  private static Tensor scatter(Tensor training, Tensor mean64) {
    long n = training.size(0);
    long d = training.size(1);
    Tensor sum = mean64.new_zeros(new long[] {d, d});
    for (long start = 0; start < n; start += CHUNK) {
      try (Tensor chunk = training.narrow(0, start, Math.min(CHUNK, n - start));
          Tensor wide = chunk.to(ScalarType.Double);
          Tensor centred = wide.sub(mean64);
          Tensor transposed = centred.t()) {
        sum.addmm_(transposed, centred);
      }
    }
    return sum;
  }

  /** Each column flipped so that its largest-magnitude entry is positive. */
  private static Tensor fixSigns(Tensor columns) {
    try (Tensor magnitudes = columns.abs();
        Tensor rows = magnitudes.argmax(new org.bytedeco.pytorch.LongOptional(0), true);
        Tensor picked = columns.gather(0, rows);
        Tensor signs = picked.sign()) {
      return columns.mul(signs);
    }
  }

  private static Tensor scales(double[] eigenvalues, double power) {
    double[] s = new double[eigenvalues.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = power == 0 ? 1 : Math.pow(eigenvalues[i], power);
    }
    return float64(s, s.length);
  }

  /** A new float64 CPU tensor of the values. */
  private static Tensor float64(double[] values, long... shape) {
    try (Tensor zeros = torch.zeros(shape)) {
      Tensor out = zeros.to(ScalarType.Double);
      try (DoublePointer p = new DoublePointer(out.data_ptr())) {
        p.put(values);
      }
      return out;
    }
  }

  private static double[] doubles(Tensor t) {
    try (Tensor c = t.contiguous();
        DoublePointer p = new DoublePointer(c.data_ptr())) {
      double[] out = new double[(int) c.numel()];
      p.get(out);
      return out;
    }
  }
}
