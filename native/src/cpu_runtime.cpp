#include "cpu_runtime.hpp"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "isc/cpu.h"
#include "status.hpp"
#include "thread_pool.hpp"

#ifndef ISC_VERSION
#define ISC_VERSION "unknown"
#endif

namespace isc::cpu {

namespace avx2 {
extern const GemRowKernels gem_kernels;
extern const LinalgKernels linalg_kernels;
}
namespace generic {
extern const GemRowKernels gem_kernels;
extern const LinalgKernels linalg_kernels;
}

namespace {

isc_cpu_isa detect_best_isa() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return ISC_ISA_AVX2;
#endif
  return ISC_ISA_GENERIC;
}

const isc_cpu_isa kBestIsa = detect_best_isa();
std::atomic<int32_t> g_active_isa{kBestIsa};

}  // namespace

isc_cpu_isa active_isa() { return static_cast<isc_cpu_isa>(g_active_isa.load(std::memory_order_relaxed)); }

const GemRowKernels& gem_kernels() { return active_isa() == ISC_ISA_AVX2 ? avx2::gem_kernels : generic::gem_kernels; }

const LinalgKernels& linalg_kernels_for_active_isa() {
  return active_isa() == ISC_ISA_AVX2 ? avx2::linalg_kernels : generic::linalg_kernels;
}

}  // namespace isc::cpu

extern "C" {

int32_t isc_cpu_abi_version(void) { return ISC_ABI_VERSION; }

const char* isc_cpu_build_info(void) {
#if defined(__clang__)
  return ISC_VERSION " (clang " __clang_version__ ")";
#elif defined(__GNUC__)
  return ISC_VERSION " (gcc " __VERSION__ ")";
#else
  return ISC_VERSION;
#endif
}

int32_t isc_cpu_set_num_threads(int32_t threads, isc_status* status) {
  return isc::guarded(status, "isc_cpu_set_num_threads", [&] {
    if (threads < 1 || threads > 4096) isc::fail(ISC_INVALID_ARGUMENT, "threads must be in [1, 4096], got %d", threads);
    isc::cpu::set_num_threads(threads);
  });
}

int32_t isc_cpu_num_threads(void) { return isc::cpu::num_threads(); }

int32_t isc_cpu_best_isa(void) { return isc::cpu::kBestIsa; }

int32_t isc_cpu_active_isa(void) { return isc::cpu::active_isa(); }

int32_t isc_cpu_set_isa(int32_t isa, isc_status* status) {
  return isc::guarded(status, "isc_cpu_set_isa", [&] {
    if (isa != ISC_ISA_GENERIC && isa != ISC_ISA_AVX2) isc::fail(ISC_INVALID_ARGUMENT, "unknown instruction set code %d", isa);
    if (isa > isc::cpu::kBestIsa) isc::fail(ISC_UNSUPPORTED, "this processor lacks AVX2 + FMA");
    isc::cpu::g_active_isa.store(isa, std::memory_order_relaxed);
  });
}

int32_t isc_cpu_set_environment(const char* name, const char* value, isc_status* status) {
  return isc::guarded(status, "isc_cpu_set_environment", [&] {
    if (name == nullptr || name[0] == '\0' || std::strchr(name, '=') != nullptr) {
      isc::fail(ISC_INVALID_ARGUMENT, "an environment variable name must be non-empty and without '='");
    }
    if (value == nullptr) isc::fail(ISC_INVALID_ARGUMENT, "no value for %s", name);
    if (setenv(name, value, 1) != 0) isc::fail(ISC_INTERNAL, "setenv %s: %s", name, std::strerror(errno));
  });
}

}  // extern "C"
