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
    long n = training.size(0);
    long d = training.size(1);
    if (dim < 1 || dim > d) {
      throw new IllegalArgumentException("PCA dimension must be in [1, " + d + "], got " + dim);
    }
    if (n < 2) {
      throw new IllegalArgumentException("PCA needs at least 2 training descriptors, got " + n);
    }
    if (!Double.isFinite(eigenPower) || eigenPower > 0) {
      throw new IllegalArgumentException("PCA eigen power must be <= 0 (0: PCA, -0.5: whitening), got " + eigenPower);
    }
    try (ScalarTypeOptional f64 = new ScalarTypeOptional(ScalarType.Double);
        Tensor mean64 = training.mean(new long[] {0}, false, f64);
        Tensor covariance = covariance(training, mean64);
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

  /** (X - mean)^T (X - mean) / n in float64, a chunk of rows at a time. */
  private static Tensor covariance(Tensor training, Tensor mean64) {
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
    try (Scalar count = new Scalar((double) n)) {
      sum.div_(count);
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
    try (Tensor zeros = torch.zeros(s.length)) {
      Tensor out = zeros.to(ScalarType.Double);
      try (DoublePointer p = new DoublePointer(out.data_ptr())) {
        p.put(s);
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
