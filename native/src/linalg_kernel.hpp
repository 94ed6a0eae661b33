// Dense products on register tiles of MR rows x NR columns (NR = two vectors), written once over
// a vector type V and compiled per instruction set, like gem_kernel.hpp. They serve the exact
// kNN search (scores tile by tile, offered to a top-k sink) and the contrastive loss.
#pragma once

#include <cstddef>
#include <cstdint>

namespace isc::cpu {

// Scores of a block of queries against a block of references. Every score
// dot_scale * q.r + ref_bias[j] + query_bias[i] that is >= thresholds[i] is offered to the sink,
// which may raise thresholds[i].
struct KnnScan {
  const float* queries;      // [nq, d]
  int64_t nq;
  int64_t d;
  const float* refs;         // knn_scan: from pack_rows; knn_scan_rows: row-major [nr, d]
  int64_t nr;
  int64_t ref_base;          // number of reference 0, as passed to the sink
  float dot_scale;
  const float* ref_bias;     // knn_scan: [nr] or null; knn_scan_rows ignores it
  bool ref_norms;            // knn_scan_rows only: add -|r_j|^2 (L2), computed in the same pass
  const float* query_bias;   // [nq] or null
  float* thresholds;         // [nq]
  void* sink_context;
  void (*sink)(void* context, int64_t query, int64_t ref, float score);
};

struct LinalgKernels {
  int panel;  // NR: references per packed panel
  // packed[p][t][j] = b[(p*NR + j) * ldb + t] for j < n, 0 past n; ceil(n/NR)*NR*k floats.
  void (*pack_rows)(const float* b, int64_t ldb, int64_t n, int64_t k, float* packed);
  // c[i][j] = sum_t a[i][t] * b[j][t], with b packed by pack_rows.
  void (*gemm_packed)(const float* a, int64_t lda, int64_t m, const float* packed, int64_t n, int64_t k, float* c,
                      int64_t ldc);
  // c[i][j] = sum_t a[i][t] * b[t][j], b row-major with row stride ldb.
  void (*gemm_nn)(const float* a, int64_t lda, int64_t m, const float* b, int64_t ldb, int64_t n, int64_t k, float* c,
                  int64_t ldc);
  void (*knn_scan)(const KnnScan& scan);
  // knn_scan on references read in place: one pass over them, for searches with too few queries
  // to repay packing (bound by memory, not arithmetic).
  void (*knn_scan_rows)(const KnnScan& scan);
};

namespace linalg {

constexpr int kRows = 6;  // MR: 6 x 2 accumulator vectors + 2 for B fit the 16 AVX2 registers

// MR x NR tile: acc[i][h] = sum_t a[i*lda + t] * b(t, h*W .. h*W+W-1), where the B row of step t
// starts at b + t*ldb. Stores into out (MR rows of NR floats).
template <class V, int MR>
inline void tile(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t k, float* out) {
  constexpr int W = V::kWidth;
  V acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = V::zero(), acc[i][1] = V::zero();
  for (int64_t t = 0; t < k; ++t) {
    const V b0 = V::load(b + t * ldb);
    const V b1 = V::load(b + t * ldb + W);
    for (int i = 0; i < MR; ++i) {
      const V ai = V::set1(a[i * lda + t]);
      acc[i][0] = fmadd(ai, b0, acc[i][0]);
      acc[i][1] = fmadd(ai, b1, acc[i][1]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    acc[i][0].store(out + i * 2 * W);
    acc[i][1].store(out + i * 2 * W + W);
  }
}

// tile() for any row count 1..kRows.
template <class V>
inline void tile_rows(int rows, const float* a, int64_t lda, const float* b, int64_t ldb, int64_t k, float* out) {
  switch (rows) {
    case 6: tile<V, 6>(a, lda, b, ldb, k, out); break;
    case 5: tile<V, 5>(a, lda, b, ldb, k, out); break;
    case 4: tile<V, 4>(a, lda, b, ldb, k, out); break;
    case 3: tile<V, 3>(a, lda, b, ldb, k, out); break;
    case 2: tile<V, 2>(a, lda, b, ldb, k, out); break;
    default: tile<V, 1>(a, lda, b, ldb, k, out); break;
  }
}

template <class V>
void pack_rows(const float* b, int64_t ldb, int64_t n, int64_t k, float* packed) {
  constexpr int NR = 2 * V::kWidth;
  for (int64_t p0 = 0; p0 < n; p0 += NR) {
    float* panel = packed + p0 * k;
    const int cols = n - p0 < NR ? static_cast<int>(n - p0) : NR;
    for (int64_t t = 0; t < k; ++t) {
      for (int j = 0; j < NR; ++j) panel[t * NR + j] = j < cols ? b[(p0 + j) * ldb + t] : 0.0f;
    }
  }
}

template <class V>
void gemm_packed(const float* a, int64_t lda, int64_t m, const float* packed, int64_t n, int64_t k, float* c,
                 int64_t ldc) {
  constexpr int NR = 2 * V::kWidth;
  float out[kRows * NR];
  for (int64_t p0 = 0; p0 < n; p0 += NR) {
    const int cols = n - p0 < NR ? static_cast<int>(n - p0) : NR;
    for (int64_t i0 = 0; i0 < m; i0 += kRows) {
      const int rows = m - i0 < kRows ? static_cast<int>(m - i0) : kRows;
      tile_rows<V>(rows, a + i0 * lda, lda, packed + p0 * k, NR, k, out);
      for (int i = 0; i < rows; ++i) {
        for (int j = 0; j < cols; ++j) c[(i0 + i) * ldc + p0 + j] = out[i * NR + j];
      }
    }
  }
}

template <class V>
void gemm_nn(const float* a, int64_t lda, int64_t m, const float* b, int64_t ldb, int64_t n, int64_t k, float* c,
             int64_t ldc) {
  constexpr int NR = 2 * V::kWidth;
  float out[kRows * NR];
  // Full panels of NR columns read B in place; the last, narrower one goes through a padded copy.
  const int64_t full = n / NR * NR;
  float* padded = full < n ? new float[static_cast<std::size_t>(k) * NR] : nullptr;
  if (padded != nullptr) {
    for (int64_t t = 0; t < k; ++t) {
      for (int j = 0; j < NR; ++j) padded[t * NR + j] = full + j < n ? b[t * ldb + full + j] : 0.0f;
    }
  }
  for (int64_t j0 = 0; j0 < n; j0 += NR) {
    const int cols = n - j0 < NR ? static_cast<int>(n - j0) : NR;
    const float* panel = j0 < full ? b + j0 : padded;
    const int64_t stride = j0 < full ? ldb : NR;
    for (int64_t i0 = 0; i0 < m; i0 += kRows) {
      const int rows = m - i0 < kRows ? static_cast<int>(m - i0) : kRows;
      tile_rows<V>(rows, a + i0 * lda, lda, panel, stride, k, out);
      for (int i = 0; i < rows; ++i) {
        for (int j = 0; j < cols; ++j) c[(i0 + i) * ldc + j0 + j] = out[i * NR + j];
      }
    }
  }
  delete[] padded;
}

template <class V>
void knn_scan(const KnnScan& s) {
  constexpr int W = V::kWidth;
  constexpr int NR = 2 * W;
  float out[kRows * NR];
  const V scale = V::set1(s.dot_scale);
  for (int64_t p0 = 0; p0 < s.nr; p0 += NR) {
    const int cols = s.nr - p0 < NR ? static_cast<int>(s.nr - p0) : NR;
    const int valid = cols == NR ? -1 : (1 << cols) - 1;  // lanes past nr are padding
    const float* panel = s.refs + p0 * s.d;
    V bias0 = V::zero(), bias1 = V::zero();
    if (s.ref_bias != nullptr) {
      bias0 = cols >= W ? V::load(s.ref_bias + p0) : V::load_partial(s.ref_bias + p0, cols);
      bias1 = cols == NR ? V::load(s.ref_bias + p0 + W)
                         : (cols > W ? V::load_partial(s.ref_bias + p0 + W, cols - W) : V::zero());
    }
    for (int64_t i0 = 0; i0 < s.nq; i0 += kRows) {
      const int rows = s.nq - i0 < kRows ? static_cast<int>(s.nq - i0) : kRows;
      tile_rows<V>(rows, s.queries + i0 * s.d, s.d, panel, NR, s.d, out);
      for (int i = 0; i < rows; ++i) {
        const int64_t q = i0 + i;
        const V qb = V::set1(s.query_bias != nullptr ? s.query_bias[q] : 0.0f);
        const V s0 = fmadd(V::load(out + i * NR), scale, bias0 + qb);
        const V s1 = fmadd(V::load(out + i * NR + W), scale, bias1 + qb);
        const V threshold = V::set1(s.thresholds[q]);
        int bits = (movemask(ge_mask(s0, threshold)) | (movemask(ge_mask(s1, threshold)) << W)) & valid;
        if (bits == 0) continue;
        s0.store(out + i * NR);
        s1.store(out + i * NR + W);
        while (bits != 0) {
          const int j = __builtin_ctz(static_cast<unsigned>(bits));
          bits &= bits - 1;
          if (out[i * NR + j] >= s.thresholds[q]) s.sink(s.sink_context, q, s.ref_base + p0 + j, out[i * NR + j]);
        }
      }
    }
  }
}

// knn_scan_rows for M queries at once: each reference row is loaded once for all of them.
template <class V, int M>
void scan_rows(const KnnScan& s, int64_t q0) {
  constexpr int W = V::kWidth;
  const int64_t full = s.d / W * W;
  const int tail = static_cast<int>(s.d - full);
  const float* q = s.queries + q0 * s.d;
  float query_bias[M];
  for (int i = 0; i < M; ++i) query_bias[i] = s.query_bias != nullptr ? s.query_bias[q0 + i] : 0.0f;
  for (int64_t j = 0; j < s.nr; ++j) {
    const float* r = s.refs + j * s.d;
    V acc[M];
    for (int i = 0; i < M; ++i) acc[i] = V::zero();
    V norm = V::zero();
    for (int64_t t = 0; t < full; t += W) {
      const V rv = V::load(r + t);
      for (int i = 0; i < M; ++i) acc[i] = fmadd(V::load(q + i * s.d + t), rv, acc[i]);
      if (s.ref_norms) norm = fmadd(rv, rv, norm);
    }
    if (tail > 0) {
      const V rv = V::load_partial(r + full, tail);
      for (int i = 0; i < M; ++i) acc[i] = fmadd(V::load_partial(q + i * s.d + full, tail), rv, acc[i]);
      if (s.ref_norms) norm = fmadd(rv, rv, norm);
    }
    const float ref_bias = s.ref_norms ? -norm.sum() : 0.0f;
    for (int i = 0; i < M; ++i) {
      const float score = s.dot_scale * acc[i].sum() + ref_bias + query_bias[i];
      if (score >= s.thresholds[q0 + i]) s.sink(s.sink_context, q0 + i, s.ref_base + j, score);
    }
  }
}

template <class V>
void knn_scan_rows(const KnnScan& s) {
  constexpr int kMaxQueries = 4;  // accumulators stay in registers
  for (int64_t q0 = 0; q0 < s.nq; q0 += kMaxQueries) {
    switch (s.nq - q0 < kMaxQueries ? static_cast<int>(s.nq - q0) : kMaxQueries) {
      case 4: scan_rows<V, 4>(s, q0); break;
      case 3: scan_rows<V, 3>(s, q0); break;
      case 2: scan_rows<V, 2>(s, q0); break;
      default: scan_rows<V, 1>(s, q0); break;
    }
  }
}

}  // namespace linalg

template <class V>
constexpr LinalgKernels make_linalg_kernels() {
  return {2 * V::kWidth,         &linalg::pack_rows<V>,     &linalg::gemm_packed<V>,
          &linalg::gemm_nn<V>,   &linalg::knn_scan<V>,      &linalg::knn_scan_rows<V>};
}

}  // namespace isc::cpu
