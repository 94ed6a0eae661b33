// The portable build of the CPU kernels, for processors without AVX2 + FMA.
#include "gem_kernel.hpp"
#include "linalg_kernel.hpp"
#include "simd_generic.hpp"

namespace isc::cpu::generic {
extern const GemRowKernels gem_kernels = gem_row_kernels<Vec>();
extern const LinalgKernels linalg_kernels = make_linalg_kernels<Vec>();
}
