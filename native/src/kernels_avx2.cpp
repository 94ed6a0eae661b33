// The AVX2 + FMA build of the CPU kernels. This file alone is compiled with -mavx2 -mfma; it is
// only called after the processor was checked for both (cpu_runtime.cpp).
#include "gem_kernel.hpp"
#include "linalg_kernel.hpp"
#include "simd_avx2.hpp"

namespace isc::cpu::avx2 {
extern const GemRowKernels gem_kernels = gem_row_kernels<Vec>();
extern const LinalgKernels linalg_kernels = make_linalg_kernels<Vec>();
}
