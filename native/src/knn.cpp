// CPU exact kNN: argument checks, the split of (query group x reference range) tasks over the
// thread pool, per-query top-k heaps fed by the instruction-set kernel, and the final merge.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "cpu_runtime.hpp"
#include "isc/knn.h"
#include "status.hpp"
#include "thread_pool.hpp"
#include "topk.hpp"

namespace isc::cpu {
namespace {

constexpr int64_t kQueryBlock = 96;         // queries scanned together against an L1-resident panel
constexpr int64_t kQuerySuper = 4096;       // queries of one task: each reference is packed once for them
constexpr int64_t kMinRefsPerSplit = 4096;  // below this, splitting references costs more than it saves
constexpr int64_t kFewQueries = 8;          // up to this many, references are scanned in place, unpacked

void check(const isc_knn_args* a) {
  if (a == nullptr) fail(ISC_INVALID_ARGUMENT, "args is NULL");
  if (a->nq < 0) fail(ISC_INVALID_ARGUMENT, "nq must be >= 0, got %lld", static_cast<long long>(a->nq));
  if (a->nr < 1) fail(ISC_INVALID_ARGUMENT, "nr must be >= 1, got %lld", static_cast<long long>(a->nr));
  if (a->d < 1) fail(ISC_INVALID_ARGUMENT, "d must be >= 1, got %lld", static_cast<long long>(a->d));
  if (a->k < 1 || a->k > ISC_KNN_MAX_K) fail(ISC_INVALID_ARGUMENT, "k must be in [1, %d], got %d", ISC_KNN_MAX_K, a->k);
  if (a->metric != ISC_METRIC_INNER_PRODUCT && a->metric != ISC_METRIC_L2) {
    fail(ISC_INVALID_ARGUMENT, "unknown metric code %d", a->metric);
  }
  if (a->precision != ISC_KNN_FP32) fail(ISC_UNSUPPORTED, "the CPU kernel computes in fp32 only (precision code %d)", a->precision);
  if (a->nq > 0 && (a->queries == nullptr || a->scores == nullptr || a->ids == nullptr)) {
    fail(ISC_INVALID_ARGUMENT, "queries, scores and ids must not be NULL");
  }
  if (a->refs == nullptr) fail(ISC_INVALID_ARGUMENT, "refs is NULL");
}

// Internal scores rank higher-is-better for both metrics: L2 uses the negated squared distance.
float to_internal(int32_t metric, float value) { return metric == ISC_METRIC_L2 ? -value : value; }

float from_internal(int32_t metric, float score) {
  return metric == ISC_METRIC_L2 ? std::max(-score, 0.0f) : score;
}

float empty_value(int32_t metric) {
  return metric == ISC_METRIC_L2 ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity();
}

struct Sink {
  TopK* heaps;
  float* thresholds;

  static void offer(void* context, int64_t query, int64_t ref, float score) {
    auto* sink = static_cast<Sink*>(context);
    sink->heaps[query].offer(score, ref);
    sink->thresholds[query] = sink->heaps[query].threshold();
  }
};

// One task: queries [q0, q0+nq) against references [r0, r1). Each block of references is packed
// once and then scanned by every block of the task's queries.
void run_task(const isc_knn_args& a, const LinalgKernels& kernels, int64_t q0, int64_t nq, int64_t r0, int64_t r1,
              TopK* heaps) {
  const int64_t d = a.d;
  const bool l2 = a.metric == ISC_METRIC_L2;
  const float* queries = a.queries + q0 * d;
  std::vector<float> thresholds(static_cast<size_t>(nq));
  std::vector<float> query_bias;
  for (int64_t i = 0; i < nq; ++i) thresholds[i] = heaps[i].threshold();
  if (l2) {
    query_bias.resize(static_cast<size_t>(nq));
    for (int64_t i = 0; i < nq; ++i) {
      double n2 = 0;
      for (int64_t t = 0; t < d; ++t) n2 += double(queries[i * d + t]) * queries[i * d + t];
      query_bias[i] = static_cast<float>(-n2);
    }
  }
  // About 256 KB of references at a time (packed, or read in place for a few queries): they stay
  // in L2 while every query visits them.
  const int64_t nr_panel = kernels.panel;
  const int64_t block = std::max<int64_t>(nr_panel, (65536 / d) / nr_panel * nr_panel);
  if (nq <= kFewQueries) {
    Sink sink{heaps, thresholds.data()};
    for (int64_t b0 = r0; b0 < r1; b0 += block) {
      KnnScan scan{queries, nq, d, a.refs + b0 * d, std::min(block, r1 - b0), a.id_offset + b0, l2 ? 2.0f : 1.0f,
                   nullptr, l2, l2 ? query_bias.data() : nullptr, thresholds.data(), &sink, &Sink::offer};
      kernels.knn_scan_rows(scan);
    }
    return;
  }
  std::vector<float> packed(static_cast<size_t>(block * d));
  std::vector<float> ref_bias(l2 ? static_cast<size_t>(block) : 0);
  for (int64_t b0 = r0; b0 < r1; b0 += block) {
    const int64_t nr = std::min(block, r1 - b0);
    const float* refs = a.refs + b0 * d;
    kernels.pack_rows(refs, d, nr, d, packed.data());
    if (l2) {
      for (int64_t j = 0; j < nr; ++j) {
        double n2 = 0;
        for (int64_t t = 0; t < d; ++t) n2 += double(refs[j * d + t]) * refs[j * d + t];
        ref_bias[j] = static_cast<float>(-n2);
      }
    }
    for (int64_t i0 = 0; i0 < nq; i0 += kQueryBlock) {
      const int64_t m = std::min(kQueryBlock, nq - i0);
      Sink sink{heaps + i0, thresholds.data() + i0};
      KnnScan scan{queries + i0 * d, m, d, packed.data(), nr, a.id_offset + b0, l2 ? 2.0f : 1.0f,
                   l2 ? ref_bias.data() : nullptr, false, l2 ? query_bias.data() + i0 : nullptr, thresholds.data() + i0,
                   &sink, &Sink::offer};
      kernels.knn_scan(scan);
    }
  }
}

void knn(const isc_knn_args& a) {
  if (a.nq == 0) return;
  const LinalgKernels& kernels = linalg_kernels_for_active_isa();
  const int64_t query_blocks = (a.nq + kQuerySuper - 1) / kQuerySuper;
  const int64_t threads = num_threads();
  // Few query blocks: also split the references, so every thread has work.
  int64_t splits = 1;
  if (query_blocks < 2 * threads) {
    splits = std::min((2 * threads + query_blocks - 1) / query_blocks, std::max<int64_t>(1, a.nr / kMinRefsPerSplit));
  }
  const int64_t tasks = query_blocks * splits;
  // heaps[task][query in block]
  std::vector<std::vector<TopK>> heaps(static_cast<size_t>(tasks));
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t q0 = (t / splits) * kQuerySuper;
    const int64_t nq = std::min(kQuerySuper, a.nq - q0);
    heaps[t].assign(static_cast<size_t>(nq), TopK(a.k));
    if (a.accumulate && t % splits == 0) {
      // The earlier result enters through the first split's heaps.
      for (int64_t i = 0; i < nq; ++i) {
        for (int j = 0; j < a.k; ++j) {
          const int64_t id = a.ids[(q0 + i) * a.k + j];
          if (id >= 0) heaps[t][i].offer(to_internal(a.metric, a.scores[(q0 + i) * a.k + j]), id);
        }
      }
    }
  }
  parallel_for(tasks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t q0 = (t / splits) * kQuerySuper;
      const int64_t split = t % splits;
      const int64_t r0 = a.nr * split / splits;
      const int64_t r1 = a.nr * (split + 1) / splits;
      run_task(a, kernels, q0, static_cast<int64_t>(heaps[t].size()), r0, r1, heaps[t].data());
    }
  });
  parallel_for(a.nq, 64, [&](int64_t begin, int64_t end) {
    for (int64_t q = begin; q < end; ++q) {
      const int64_t block = q / kQuerySuper;
      const int64_t i = q % kQuerySuper;
      TopK& merged = heaps[block * splits][i];
      for (int64_t s = 1; s < splits; ++s) {
        for (const ScoredId& item : heaps[block * splits + s][i].items()) merged.offer(item.score, item.id);
      }
      const std::vector<ScoredId> best = merged.sorted();
      for (int j = 0; j < a.k; ++j) {
        const bool present = j < static_cast<int>(best.size());
        a.scores[q * a.k + j] = present ? from_internal(a.metric, best[j].score) : empty_value(a.metric);
        a.ids[q * a.k + j] = present ? best[j].id : -1;
      }
    }
  });
}

}  // namespace
}  // namespace isc::cpu

extern "C" int32_t isc_cpu_knn(const isc_knn_args* args, isc_status* status) {
  return isc::guarded(status, "isc_cpu_knn", [&] {
    isc::cpu::check(args);
    isc::cpu::knn(*args);
  });
}
