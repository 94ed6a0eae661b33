/*
 * The CUDA library's runtime queries. Loading libisc_cuda never needs a GPU: without a driver or
 * device these calls report zero devices and say why.
 */
#ifndef ISC_CUDA_H
#define ISC_CUDA_H

#include "isc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct isc_cuda_device_info {
  char name[256];
  int32_t major;               /* compute capability */
  int32_t minor;
  int32_t multiprocessors;
  int64_t total_memory_bytes;
  int64_t l2_cache_bytes;
  int32_t memory_bus_width_bits;
} isc_cuda_device_info;

ISC_API int32_t isc_cuda_abi_version(void);

/* The CUDA toolkit the library was built with and the architectures it holds code for,
 * e.g. "CUDA 13.0, sm_75 sm_80 sm_90 + compute_90 PTX". */
ISC_API const char* isc_cuda_build_info(void);

/* Number of usable devices. Returns ISC_OK with *count = 0 when there is no driver or device;
 * status then carries the reason (code ISC_OK, message filled). */
ISC_API int32_t isc_cuda_device_count(int32_t* count, isc_status* status);

ISC_API int32_t isc_cuda_device_info_get(int32_t device, isc_cuda_device_info* info, isc_status* status);

/* Driver and runtime versions as 1000*major + 10*minor (0 when unknown). */
ISC_API int32_t isc_cuda_driver_version(void);
ISC_API int32_t isc_cuda_runtime_version(void);

#ifdef __cplusplus
}
#endif

#endif /* ISC_CUDA_H */
