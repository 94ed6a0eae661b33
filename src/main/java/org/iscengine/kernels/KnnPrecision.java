package org.iscengine.kernels;

import org.iscengine.kernels.binding.IscAbi;

/**
 * Arithmetic of the kNN score computation. TF32 and BF16 (CUDA on sm_80 or newer) use tensor
 * cores to pick candidates, which are then scored again exactly in fp32, so the scores returned
 * are always fp32-exact.
 */
public enum KnnPrecision {
  FP32(IscAbi.KNN_FP32),
  TF32(IscAbi.KNN_TF32),
  BF16(IscAbi.KNN_BF16);

  /** The native {@code isc_knn_precision}. */
  final int code;

  KnnPrecision(int code) {
    this.code = code;
  }
}
