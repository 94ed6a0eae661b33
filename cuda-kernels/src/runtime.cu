// Device and toolkit queries of libisc_cuda. None of them needs a GPU to answer.
#include <cuda_runtime.h>

#include <cstdio>

#include "cuda_check.cuh"
#include "isc/cuda.h"

#ifndef ISC_CUDA_ARCHITECTURES
#define ISC_CUDA_ARCHITECTURES "unknown"
#endif

extern "C" {

int32_t isc_cuda_abi_version(void) { return ISC_ABI_VERSION; }

const char* isc_cuda_build_info(void) {
  static char info[256];
  static const bool once = [] {
    std::snprintf(info, sizeof(info), "CUDA %d.%d, architectures %s", CUDART_VERSION / 1000,
                  (CUDART_VERSION % 1000) / 10, ISC_CUDA_ARCHITECTURES);
    return true;
  }();
  (void)once;
  return info;
}

int32_t isc_cuda_device_count(int32_t* count, isc_status* status) {
  char reason[ISC_STATUS_MESSAGE_BYTES] = "";
  const int32_t code = isc::guarded(status, "isc_cuda_device_count", [&] {
    if (count == nullptr) isc::fail(ISC_INVALID_ARGUMENT, "count is NULL");
    int n = 0;
    const cudaError_t err = cudaGetDeviceCount(&n);
    *count = err == cudaSuccess ? n : 0;
    if (err != cudaSuccess) {
      cudaGetLastError();
      std::snprintf(reason, sizeof(reason), "%s (%s)", cudaGetErrorString(err), cudaGetErrorName(err));
    }
  });
  // No driver or no device is not a failure, just zero devices; the message says why.
  if (code == ISC_OK && status != nullptr) std::snprintf(status->message, sizeof(status->message), "%s", reason);
  return code;
}

int32_t isc_cuda_device_info_get(int32_t device, isc_cuda_device_info* info, isc_status* status) {
  return isc::guarded(status, "isc_cuda_device_info_get", [&] {
    if (info == nullptr) isc::fail(ISC_INVALID_ARGUMENT, "info is NULL");
    int n = 0;
    isc::cuda::check(cudaGetDeviceCount(&n), "cudaGetDeviceCount");
    if (device < 0 || device >= n) isc::fail(ISC_INVALID_ARGUMENT, "device %d out of range [0, %d)", device, n);
    cudaDeviceProp prop{};
    isc::cuda::check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
    std::snprintf(info->name, sizeof(info->name), "%s", prop.name);
    info->major = prop.major;
    info->minor = prop.minor;
    info->multiprocessors = prop.multiProcessorCount;
    info->total_memory_bytes = static_cast<int64_t>(prop.totalGlobalMem);
    info->l2_cache_bytes = prop.l2CacheSize;
    info->memory_bus_width_bits = prop.memoryBusWidth;
  });
}

int32_t isc_cuda_driver_version(void) {
  int v = 0;
  if (cudaDriverGetVersion(&v) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return v;
}

int32_t isc_cuda_runtime_version(void) {
  int v = 0;
  if (cudaRuntimeGetVersion(&v) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return v;
}

}  // extern "C"
