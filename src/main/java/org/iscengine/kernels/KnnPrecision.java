package org.iscengine.kernels;

/**
 * Arithmetic of the kNN score computation. TF32 and BF16 (CUDA on sm_80 or newer) use tensor
 * cores to pick candidates, which are then scored again exactly in fp32, so the scores returned
 * are always fp32-exact.
 */
public enum KnnPrecision {
  FP32,
  TF32,
  BF16
}
