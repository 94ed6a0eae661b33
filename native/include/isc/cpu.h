/*
 * The CPU library's runtime: its thread pool, the instruction set its kernels dispatch to, its
 * build identity, and the process environment seen by the native libraries beside it.
 */
#ifndef ISC_CPU_H
#define ISC_CPU_H

#include "isc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Instruction sets the CPU kernels are compiled for; chosen once at load time. */
typedef enum isc_cpu_isa {
  ISC_ISA_GENERIC = 0, /* portable C++, whatever the compiler vectorizes */
  ISC_ISA_AVX2 = 1     /* AVX2 + FMA */
} isc_cpu_isa;

ISC_API int32_t isc_cpu_abi_version(void);

/* The library version and compiler, e.g. "0.1.0 (gcc 12.2.0)". */
ISC_API const char* isc_cpu_build_info(void);

/* Threads used by the CPU kernels (the caller's thread counts as one). Default: the number of
 * hardware threads, or ISC_NUM_THREADS from the environment. */
ISC_API int32_t isc_cpu_set_num_threads(int32_t threads, isc_status* status);
ISC_API int32_t isc_cpu_num_threads(void);

/* The best instruction set this processor supports, and the one in use. */
ISC_API int32_t isc_cpu_best_isa(void);
ISC_API int32_t isc_cpu_active_isa(void);

/* Selects the instruction set (for tests and benchmarks); fails if the processor lacks it. */
ISC_API int32_t isc_cpu_set_isa(int32_t isa, isc_status* status);

/* Sets an environment variable of this process (overwriting it), for libraries in the same
 * process that read their settings from the environment on first use, such as oneDNN's
 * ONEDNN_MAX_CPU_ISA. Java cannot change its own process's environment. */
ISC_API int32_t isc_cpu_set_environment(const char* name, const char* value, isc_status* status);

#ifdef __cplusplus
}
#endif

#endif /* ISC_CPU_H */
