// Argument checks shared by the CPU and CUDA contrastive-loss entry points.
#pragma once

#include <cmath>

#include "isc/contrastive.h"
#include "status.hpp"

namespace isc {

inline void check_contrastive(const isc_contrastive_args* a, bool backward) {
  if (a == nullptr) fail(ISC_INVALID_ARGUMENT, "args is NULL");
  if (a->batch < 1) fail(ISC_INVALID_ARGUMENT, "batch must be >= 1, got %lld", static_cast<long long>(a->batch));
  if (a->dim < 1) fail(ISC_INVALID_ARGUMENT, "dim must be >= 1, got %lld", static_cast<long long>(a->dim));
  if (a->memory_size < a->batch) {
    fail(ISC_INVALID_ARGUMENT, "memory_size (%lld) must be >= batch (%lld)", static_cast<long long>(a->memory_size),
         static_cast<long long>(a->batch));
  }
  if (a->memory_rows < 1 || a->memory_rows > a->memory_size) {
    fail(ISC_INVALID_ARGUMENT, "memory_rows must be in [1, memory_size=%lld], got %lld",
         static_cast<long long>(a->memory_size), static_cast<long long>(a->memory_rows));
  }
  if (!std::isfinite(a->pos_margin) || !std::isfinite(a->neg_margin)) {
    fail(ISC_INVALID_ARGUMENT, "margins must be finite, got pos %g neg %g", a->pos_margin, a->neg_margin);
  }
  if (a->embeddings == nullptr || a->labels == nullptr || a->memory == nullptr || a->memory_labels == nullptr ||
      a->slots == nullptr || a->distances == nullptr || a->stats == nullptr) {
    fail(ISC_INVALID_ARGUMENT, "embeddings, labels, memory, memory_labels, slots, distances and stats are required");
  }
  if (backward && (a->grad_embeddings == nullptr || a->grad_loss == nullptr)) {
    fail(ISC_INVALID_ARGUMENT, "backward needs grad_embeddings and grad_loss");
  }
}

// The pair rule of the loss: +1 positive, -1 negative, 0 not a pair (the item's own copy).
inline int pair_sign(int64_t label, int64_t memory_label, int64_t row, int64_t own_slot) {
  if (label != memory_label) return -1;
  return row == own_slot ? 0 : 1;
}

}  // namespace isc
