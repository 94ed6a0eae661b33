// Shared pieces of the CUDA harness: options, result records, timing.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "isc/common.h"

namespace harness {

struct Options {
  bool check = true;       // compare every kernel with the CPU library
  bool bench = true;       // time the benchmark shapes
  bool small = false;      // check only the small shapes (for compute-sanitizer)
  std::string kernels = "gem,knn,loss";  // which families run
  std::vector<int> knn_k = {10, 100, 1024};  // k of the timed searches
  int batches = 50;        // timing: median over this many batches...
  int per_batch = 20;      // ...of this many back-to-back launches
  std::string json_path;   // also write the records here
};

// One line of the report: a correctness check, a timing, or both.
struct Record {
  std::string kernel;      // e.g. "gem_forward"
  std::string variant;     // dtype and options, e.g. "bf16"
  std::string shape;       // e.g. "64x512x16x16"
  double p = 0;
  double error = -1;       // relative error against the CPU library; < 0: not checked
  double tolerance = 0;
  double median_us = -1;   // < 0: not timed
  double bytes = 0;        // bytes moved per launch, for GB/s
  double flops = 0;        // floating-point operations per launch, for TFLOP/s
  bool checked() const { return !(error < 0); }  // a NaN error counts as checked, and fails
  bool ok() const { return !checked() || error <= tolerance; }
};

// One line on stderr as soon as a timing is known: a long run shows where it is.
inline void progress(const Record& r) {
  std::fprintf(stderr, "  timed %s %s %s p=%g: %.2f us\n", r.kernel.c_str(), r.variant.c_str(), r.shape.c_str(), r.p,
               r.median_us);
  std::fflush(stderr);
}

struct Device {
  cudaDeviceProp prop{};
  double copy_gbps = 0;    // measured device-to-device copy, bytes read + written per second / 1e9
};

inline void cuda_ok(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    std::fprintf(stderr, "CUDA error in %s: %s\n", what, cudaGetErrorString(err));
    std::exit(2);
  }
}

// Median time of one launch in microseconds: `launch(i)` is called per_batch times between two
// events, batches times; i counts launches so callers can rotate buffers.
template <class Launch>
double median_launch_us(Launch&& launch, const Options& options, cudaStream_t stream) {
  cudaEvent_t start, stop;
  cuda_ok(cudaEventCreate(&start), "cudaEventCreate");
  cuda_ok(cudaEventCreate(&stop), "cudaEventCreate");
  long i = 0;
  for (int w = 0; w < options.per_batch; ++w) launch(i++);  // warm up
  std::vector<double> times;
  for (int b = 0; b < options.batches; ++b) {
    cuda_ok(cudaEventRecord(start, stream), "cudaEventRecord");
    for (int k = 0; k < options.per_batch; ++k) launch(i++);
    cuda_ok(cudaEventRecord(stop, stream), "cudaEventRecord");
    cuda_ok(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float ms = 0;
    cuda_ok(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
    times.push_back(1000.0 * ms / options.per_batch);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

// Number of copies of a buffer to rotate through so repeated launches read from DRAM, not L2.
inline int rotation(const Device& device, double bytes) {
  const double needed = 4.0 * device.prop.l2CacheSize / bytes;
  return std::clamp(static_cast<int>(needed) + 1, 2, 32);
}

// Device memory for n elements of T, freed with the object.
template <typename T>
struct DeviceBuffer {
  T* ptr = nullptr;
  size_t count = 0;
  explicit DeviceBuffer(size_t n) : count(n) {
    cuda_ok(cudaMalloc(&ptr, std::max<size_t>(n, 1) * sizeof(T)), "cudaMalloc");
  }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

template <typename T>
std::vector<T> download(const T* device, size_t count) {
  std::vector<T> host(count);
  cuda_ok(cudaMemcpy(host.data(), device, count * sizeof(T), cudaMemcpyDeviceToHost), "cudaMemcpy D2H");
  return host;
}

template <typename T>
void upload(T* device, const std::vector<T>& host) {
  cuda_ok(cudaMemcpy(device, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy H2D");
}

// Exits on a failed library call, printing its message.
inline void isc_ok(int32_t code, const isc_status& status) {
  if (code != ISC_OK) {
    std::fprintf(stderr, "kernel failed: %s\n", status.message);
    std::exit(2);
  }
}

double measure_copy_gbps(const Options& options);
void run_gem(const Options& options, const Device& device, std::vector<Record>& records);
void run_knn(const Options& options, const Device& device, std::vector<Record>& records);
void run_contrastive(const Options& options, const Device& device, std::vector<Record>& records);

}  // namespace harness
