// CPU memory-bank contrastive loss (semantics in isc/contrastive.h). Forward: enqueue, one
// product batch x bank, distances and their statistics. Backward: per-pair weights and a second
// product weights x bank, then the gradient through the L2 normalisation.
#include <algorithm>
#include <cmath>
#include <vector>

#include "contrastive_checks.hpp"
#include "cpu_runtime.hpp"
#include "isc/contrastive.h"
#include "status.hpp"
#include "thread_pool.hpp"

namespace isc::cpu {
namespace {

constexpr double kNormEps = 1e-12;     // F.normalize's eps
constexpr int64_t kBankBlock = 512;    // bank rows per forward task
constexpr int64_t kBatchBlock = 12;    // batch rows per backward task

// Unit rows of the embeddings, and their norms.
void normalize(const isc_contrastive_args& a, std::vector<float>& unit, std::vector<double>& norms) {
  unit.resize(static_cast<size_t>(a.batch * a.dim));
  norms.resize(static_cast<size_t>(a.batch));
  for (int64_t i = 0; i < a.batch; ++i) {
    const float* x = a.embeddings + i * a.dim;
    double n2 = 0;
    for (int64_t t = 0; t < a.dim; ++t) n2 += double(x[t]) * x[t];
    norms[i] = std::sqrt(n2);
    const double scale = 1.0 / std::max(norms[i], kNormEps);
    for (int64_t t = 0; t < a.dim; ++t) unit[i * a.dim + t] = static_cast<float>(x[t] * scale);
  }
}

double squared_norm(const float* v, int64_t n) {
  double s = 0;
  for (int64_t t = 0; t < n; ++t) s += double(v[t]) * v[t];
  return s;
}

struct PairStats {
  double pos_sum = 0, neg_sum = 0;
  int64_t active_pos = 0, active_neg = 0, pos_pairs = 0, neg_pairs = 0;
};

void forward(const isc_contrastive_args& a) {
  std::vector<float> unit;
  std::vector<double> norms;
  normalize(a, unit, norms);
  // Enqueue first, as CrossBatchMemory does: the batch is compared with its own fresh copies too
  // (the copy of the item itself excluded).
  for (int64_t i = 0; i < a.batch; ++i) {
    const int64_t slot = a.slots[i];
    if (slot < 0 || slot >= a.memory_size) {
      fail(ISC_INVALID_ARGUMENT, "slots[%lld] = %lld is outside the bank [0, %lld)", static_cast<long long>(i),
           static_cast<long long>(slot), static_cast<long long>(a.memory_size));
    }
    std::copy(unit.begin() + i * a.dim, unit.begin() + (i + 1) * a.dim, a.memory + slot * a.dim);
    a.memory_labels[slot] = a.labels[i];
  }
  std::vector<float> unit_sq(static_cast<size_t>(a.batch));
  for (int64_t i = 0; i < a.batch; ++i) unit_sq[i] = static_cast<float>(squared_norm(&unit[i * a.dim], a.dim));

  const LinalgKernels& kernels = linalg_kernels_for_active_isa();
  const int64_t rows = a.memory_rows;
  const int64_t tasks = (rows + kBankBlock - 1) / kBankBlock;
  std::vector<PairStats> partial(static_cast<size_t>(tasks));
  parallel_for(tasks, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> packed(static_cast<size_t>(kBankBlock * a.dim));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t j0 = task * kBankBlock;
      const int64_t n = std::min(kBankBlock, rows - j0);
      kernels.pack_rows(a.memory + j0 * a.dim, a.dim, n, a.dim, packed.data());
      kernels.gemm_packed(unit.data(), a.dim, a.batch, packed.data(), n, a.dim, a.distances + j0, rows);
      PairStats& st = partial[task];
      for (int64_t j = j0; j < j0 + n; ++j) {
        const float bank_sq = static_cast<float>(squared_norm(a.memory + j * a.dim, a.dim));
        for (int64_t i = 0; i < a.batch; ++i) {
          float& cell = a.distances[i * rows + j];
          const float d = std::sqrt(std::max(unit_sq[i] + bank_sq - 2.0f * cell, 0.0f));
          cell = d;
          const int sign = pair_sign(a.labels[i], a.memory_labels[j], j, a.slots[i]);
          if (sign > 0) {
            ++st.pos_pairs;
            const float term = d - a.pos_margin;
            if (term > 0) st.pos_sum += term, ++st.active_pos;
          } else if (sign < 0) {
            ++st.neg_pairs;
            const float term = a.neg_margin - d;
            if (term > 0) st.neg_sum += term, ++st.active_neg;
          }
        }
      }
    }
  });
  PairStats total;  // summed in task order, so the result does not depend on the thread count
  for (const PairStats& st : partial) {
    total.pos_sum += st.pos_sum, total.neg_sum += st.neg_sum;
    total.active_pos += st.active_pos, total.active_neg += st.active_neg;
    total.pos_pairs += st.pos_pairs, total.neg_pairs += st.neg_pairs;
  }
  const double pos_loss = total.active_pos > 0 ? total.pos_sum / double(total.active_pos) : 0.0;
  const double neg_loss = total.active_neg > 0 ? total.neg_sum / double(total.active_neg) : 0.0;
  a.stats[ISC_CONTRASTIVE_LOSS] = pos_loss + neg_loss;
  a.stats[ISC_CONTRASTIVE_POS_LOSS] = pos_loss;
  a.stats[ISC_CONTRASTIVE_NEG_LOSS] = neg_loss;
  a.stats[ISC_CONTRASTIVE_ACTIVE_POS] = double(total.active_pos);
  a.stats[ISC_CONTRASTIVE_ACTIVE_NEG] = double(total.active_neg);
  a.stats[ISC_CONTRASTIVE_POS_PAIRS] = double(total.pos_pairs);
  a.stats[ISC_CONTRASTIVE_NEG_PAIRS] = double(total.neg_pairs);
}

void backward(const isc_contrastive_args& a) {
  std::vector<float> unit;
  std::vector<double> norms;
  normalize(a, unit, norms);
  const double active_pos = a.stats[ISC_CONTRASTIVE_ACTIVE_POS];
  const double active_neg = a.stats[ISC_CONTRASTIVE_ACTIVE_NEG];
  const float pos_weight = active_pos > 0 ? static_cast<float>(1.0 / active_pos) : 0.0f;
  const float neg_weight = active_neg > 0 ? static_cast<float>(-1.0 / active_neg) : 0.0f;
  const float upstream = *a.grad_loss;
  const LinalgKernels& kernels = linalg_kernels_for_active_isa();
  const int64_t rows = a.memory_rows;
  const int64_t tasks = (a.batch + kBatchBlock - 1) / kBatchBlock;
  parallel_for(tasks, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> weights(static_cast<size_t>(kBatchBlock * rows));
    std::vector<float> product(static_cast<size_t>(kBatchBlock * a.dim));
    std::vector<double> row_sum(static_cast<size_t>(kBatchBlock));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t i0 = task * kBatchBlock;
      const int64_t m = std::min(kBatchBlock, a.batch - i0);
      // u_ij = (dL/dd_ij) / d_ij: the gradient of d_ij w.r.t. the unit x_i is (x_i - m_j) / d_ij.
      for (int64_t r = 0; r < m; ++r) {
        const int64_t i = i0 + r;
        double sum = 0;
        for (int64_t j = 0; j < rows; ++j) {
          const float d = a.distances[i * rows + j];
          const int sign = pair_sign(a.labels[i], a.memory_labels[j], j, a.slots[i]);
          float w = 0;
          if (sign > 0 && d - a.pos_margin > 0) w = pos_weight;
          if (sign < 0 && a.neg_margin - d > 0) w = neg_weight;
          const float u = d > 0 ? w / d : 0.0f;
          weights[r * rows + j] = u;
          sum += u;
        }
        row_sum[r] = sum;
      }
      kernels.gemm_nn(weights.data(), rows, m, a.memory, a.dim, a.dim, rows, product.data(), a.dim);
      for (int64_t r = 0; r < m; ++r) {
        const int64_t i = i0 + r;
        const float* x = &unit[i * a.dim];
        float* g = a.grad_embeddings + i * a.dim;
        double dot = 0;
        for (int64_t t = 0; t < a.dim; ++t) {
          g[t] = upstream * static_cast<float>(row_sum[r] * x[t] - product[r * a.dim + t]);  // dL/d(unit x)
          dot += double(g[t]) * x[t];
        }
        // Through x / max(|x|, eps): project out the radial part, unless the norm was clamped.
        const bool clamped = norms[i] <= kNormEps;
        const double inv = 1.0 / std::max(norms[i], kNormEps);
        for (int64_t t = 0; t < a.dim; ++t) {
          g[t] = static_cast<float>((clamped ? g[t] : g[t] - x[t] * dot) * inv);
        }
      }
    }
  });
}

}  // namespace
}  // namespace isc::cpu

extern "C" {

int32_t isc_cpu_contrastive_forward(const isc_contrastive_args* args, isc_status* status) {
  return isc::guarded(status, "isc_cpu_contrastive_forward", [&] {
    isc::check_contrastive(args, false);
    isc::cpu::forward(*args);
  });
}

int32_t isc_cpu_contrastive_backward(const isc_contrastive_args* args, isc_status* status) {
  return isc::guarded(status, "isc_cpu_contrastive_backward", [&] {
    isc::check_contrastive(args, true);
    isc::cpu::backward(*args);
  });
}

}  // extern "C"
