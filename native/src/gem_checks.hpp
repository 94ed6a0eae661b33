// Argument checks shared by the CPU and CUDA GeM entry points.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstdint>

#include "isc/gem.h"
#include "status.hpp"

namespace isc {

inline void check_gem_shape(int64_t rows, int64_t hw, float p, float eps, int32_t dtype) {
  if (rows < 1) fail(ISC_INVALID_ARGUMENT, "rows (n*c) must be >= 1, got %lld", static_cast<long long>(rows));
  if (hw < 1) fail(ISC_INVALID_ARGUMENT, "hw (h*w) must be >= 1, got %lld", static_cast<long long>(hw));
  if (rows > INT64_MAX / hw) fail(ISC_INVALID_ARGUMENT, "rows*hw overflows: rows=%lld hw=%lld",
                                  static_cast<long long>(rows), static_cast<long long>(hw));
  if (!(p >= ISC_GEM_MIN_P && p <= ISC_GEM_MAX_P)) {
    fail(ISC_INVALID_ARGUMENT, "p must be in [%g, %g], got %g", ISC_GEM_MIN_P, ISC_GEM_MAX_P, p);
  }
  if (!(eps > 0.0f) || !std::isfinite(eps)) fail(ISC_INVALID_ARGUMENT, "eps must be finite and > 0, got %g", eps);
  // Every clamped element contributes at least eps^p; keep that a normal float so sums never
  // underflow to zero (which would make y = 0 and the gradient 0/0).
  if (static_cast<double>(p) * std::log(static_cast<double>(eps)) < std::log(static_cast<double>(FLT_MIN))) {
    fail(ISC_INVALID_ARGUMENT, "eps^p underflows float32 (eps=%g, p=%g): raise eps or lower p", eps, p);
  }
  if (dtype != ISC_FLOAT32 && dtype != ISC_FLOAT16 && dtype != ISC_BFLOAT16) {
    fail(ISC_INVALID_ARGUMENT, "unknown dtype code %d", dtype);
  }
}

inline void check_gem_forward(const isc_gem_forward_args* a) {
  if (a == nullptr) fail(ISC_INVALID_ARGUMENT, "args is NULL");
  check_gem_shape(a->rows, a->hw, a->p, a->eps, a->dtype);
  if (a->x == nullptr) fail(ISC_INVALID_ARGUMENT, "x is NULL");
  if (a->y == nullptr) fail(ISC_INVALID_ARGUMENT, "y is NULL");
}

inline void check_gem_backward(const isc_gem_backward_args* a) {
  if (a == nullptr) fail(ISC_INVALID_ARGUMENT, "args is NULL");
  check_gem_shape(a->rows, a->hw, a->p, a->eps, a->dtype);
  if (a->x == nullptr) fail(ISC_INVALID_ARGUMENT, "x is NULL");
  if (a->y == nullptr) fail(ISC_INVALID_ARGUMENT, "y is NULL");
  if (a->grad_y == nullptr) fail(ISC_INVALID_ARGUMENT, "grad_y is NULL");
  if (a->grad_x == nullptr && a->grad_p_rows == nullptr) {
    fail(ISC_INVALID_ARGUMENT, "nothing to compute: grad_x and grad_p_rows are both NULL");
  }
}

}  // namespace isc
