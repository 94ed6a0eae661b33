// The reference rate for memory-bound kernels: a large device-to-device copy.
#include "harness.hpp"

namespace harness {

double measure_copy_gbps(const Options& options) {
  const size_t bytes = size_t(1) << 30;
  void* src = nullptr;
  void* dst = nullptr;
  cuda_ok(cudaMalloc(&src, bytes), "cudaMalloc (copy source)");
  cuda_ok(cudaMalloc(&dst, bytes), "cudaMalloc (copy target)");
  cuda_ok(cudaMemset(src, 1, bytes), "cudaMemset");
  Options timing = options;
  timing.per_batch = 2;
  timing.batches = std::max(10, options.batches / 5);
  const double us = median_launch_us(
      [&](long) { cuda_ok(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, 0), "cudaMemcpyAsync"); },
      timing, 0);
  cudaFree(src);
  cudaFree(dst);
  return 2.0 * bytes / (us * 1e3);
}

}  // namespace harness
