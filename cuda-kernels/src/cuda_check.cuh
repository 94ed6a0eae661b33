// CUDA error checks that raise isc::Error, and a guard that runs a call on the device owning a
// pointer. Used by every entry point of libisc_cuda.
#pragma once

#include <cuda_runtime.h>

#include "status.hpp"

namespace isc::cuda {

inline void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear a non-sticky error so the next call starts clean
    fail(ISC_DEVICE_ERROR, "%s: %s (%s)", what, cudaGetErrorString(err), cudaGetErrorName(err));
  }
}

// The device that owns ptr; fails unless ptr is device (or managed) memory.
inline int device_of(const void* ptr, const char* name) {
  cudaPointerAttributes attributes{};
  cudaError_t err = cudaPointerGetAttributes(&attributes, ptr);
  if (err != cudaSuccess) {
    cudaGetLastError();
    fail(ISC_INVALID_ARGUMENT, "%s is not a CUDA pointer: %s", name, cudaGetErrorString(err));
  }
  if (attributes.type != cudaMemoryTypeDevice && attributes.type != cudaMemoryTypeManaged) {
    fail(ISC_INVALID_ARGUMENT, "%s is host memory; the CUDA kernel needs device memory", name);
  }
  return attributes.device;
}

inline int multiprocessors(int device) {
  int n = 0;
  check(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute");
  return n;
}

// Makes `device` current for the guard's lifetime.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    check(cudaGetDevice(&previous_), "cudaGetDevice");
    if (previous_ != device) check(cudaSetDevice(device), "cudaSetDevice");
  }
  ~DeviceGuard() {
    int now = previous_;
    if (cudaGetDevice(&now) == cudaSuccess && now != previous_) cudaSetDevice(previous_);
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
};

}  // namespace isc::cuda
