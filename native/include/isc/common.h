/*
 * isc-engine native ABI: types shared by every kernel family.
 *
 * The ABI is plain C: structs, enums and functions over raw pointers and sizes. The CPU library
 * (libisc_cpu) and the CUDA library (libisc_cuda) implement the same argument structs; their
 * entry points differ only by prefix (isc_cpu_*, isc_cuda_*), so both can live in one process.
 *
 * Every entry point returns an isc_code and, on failure, fills the caller's isc_status with the
 * same code and a NUL-terminated message. No C++ exception ever crosses the boundary.
 */
#ifndef ISC_COMMON_H
#define ISC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ISC_ABI_VERSION 1

#if defined(__GNUC__)
#define ISC_API __attribute__((visibility("default")))
#else
#define ISC_API
#endif

/* Result of every entry point. */
typedef enum isc_code {
  ISC_OK = 0,
  ISC_INVALID_ARGUMENT = 1, /* a size, pointer or parameter the kernel cannot accept */
  ISC_UNSUPPORTED = 2,      /* valid request this backend does not implement (e.g. a dtype) */
  ISC_OUT_OF_MEMORY = 3,
  ISC_DEVICE_ERROR = 4,     /* a CUDA runtime or launch error */
  ISC_INTERNAL = 5,         /* anything else; the message says what */
  ISC_CORRUPT_DATA = 6      /* a file whose contents are damaged; the message says where */
} isc_code;

/* Element types of tensors crossing the ABI. */
typedef enum isc_dtype {
  ISC_FLOAT32 = 0,
  ISC_FLOAT16 = 1,
  ISC_BFLOAT16 = 2
} isc_dtype;

#define ISC_STATUS_MESSAGE_BYTES 512

/* Error report of a failed call. */
typedef struct isc_status {
  int32_t code;
  char message[ISC_STATUS_MESSAGE_BYTES];
} isc_status;

#ifdef __cplusplus
}
#endif

#endif /* ISC_COMMON_H */
