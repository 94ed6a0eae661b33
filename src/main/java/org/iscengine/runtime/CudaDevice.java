package org.iscengine.runtime;

/** A CUDA device as libisc_cuda sees it. */
public record CudaDevice(
    int index,
    String name,
    int computeMajor,
    int computeMinor,
    int multiprocessors,
    long totalMemoryBytes,
    long l2CacheBytes) {

  /** For example "sm_90". */
  public String architecture() {
    return "sm_" + computeMajor + computeMinor;
  }
}
