// CPU entry points of GeM pooling: argument checks, then row ranges spread over the thread pool.
#include <algorithm>

#include "cpu_runtime.hpp"
#include "gem_checks.hpp"
#include "isc/gem.h"
#include "status.hpp"
#include "thread_pool.hpp"

namespace {

// Rows per task: enough elements that handing out a task costs little next to doing it.
int64_t rows_per_task(int64_t hw) { return std::max<int64_t>(1, 16384 / hw); }

void require_float32(int32_t dtype) {
  if (dtype != ISC_FLOAT32) isc::fail(ISC_UNSUPPORTED, "the CPU kernel takes float32 only (dtype code %d)", dtype);
}

}  // namespace

extern "C" {

int32_t isc_cpu_gem_forward(const isc_gem_forward_args* a, isc_status* status) {
  return isc::guarded(status, "isc_cpu_gem_forward", [&] {
    isc::check_gem_forward(a);
    require_float32(a->dtype);
    const auto& kernels = isc::cpu::gem_kernels();
    const auto* x = static_cast<const float*>(a->x);
    auto* y = static_cast<float*>(a->y);
    isc::cpu::parallel_for(a->rows, rows_per_task(a->hw), [&](int64_t begin, int64_t end) {
      kernels.forward(x, y, begin, end, a->hw, a->p, a->eps);
    });
  });
}

int32_t isc_cpu_gem_backward(const isc_gem_backward_args* a, isc_status* status) {
  return isc::guarded(status, "isc_cpu_gem_backward", [&] {
    isc::check_gem_backward(a);
    require_float32(a->dtype);
    const auto& kernels = isc::cpu::gem_kernels();
    const auto* x = static_cast<const float*>(a->x);
    const auto* y = static_cast<const float*>(a->y);
    const auto* gy = static_cast<const float*>(a->grad_y);
    auto* gx = static_cast<float*>(a->grad_x);
    isc::cpu::parallel_for(a->rows, rows_per_task(a->hw), [&](int64_t begin, int64_t end) {
      kernels.backward(x, y, gy, gx, a->grad_p_rows, begin, end, a->hw, a->p, a->eps);
    });
  });
}

}  // extern "C"
