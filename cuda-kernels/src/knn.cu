// CUDA exact kNN with the top-k selection fused into the tile loop.
//
//  1. scan: a block takes 64 queries and one chunk of the references. For each 64-reference tile
//     it computes the 64 x 64 scores (SIMT fp32, or tensor cores in TF32/BF16) into shared
//     memory; then each warp, owning 8 queries, keeps the candidates that beat the query's current
//     k-th best in a small shared buffer. A full buffer is sorted (warp bitonic) and merged into
//     the query's sorted list for this chunk, which lives in the workspace. Scores never leave
//     the chip except as those lists.
//  2. merge: a block per query merges the chunk lists (and, when accumulating, the earlier
//     result) into the best kk.
//  3. rerank (TF32/BF16 only): the kk candidates are scored again exactly in fp32 and sorted;
//     the best k are written.
// Order everywhere: higher internal score first, then lower id. L2 uses -|q - r|^2 internally.
#include <cuda_runtime.h>
#include <mma.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "cuda_check.cuh"
#include "isc/knn.h"
#include "tile_gemm.cuh"
#include "workspace.cuh"

namespace isc::cuda {
namespace {

constexpr int kBuffer = 32;                            // candidates a query collects before a merge
constexpr int kWarps = tile::kThreads / 32;            // 8
constexpr int kQueriesPerWarp = tile::kTile / kWarps;  // 8
constexpr int kMaxList = 2048;                         // longest list: k, or the re-ranked candidates
constexpr int64_t kMinChunk = 4096;                    // references per block below which splitting stops
constexpr size_t kListBudget = size_t(1) << 30;        // bytes of chunk lists per pass over the queries
constexpr double kInsertCost = 50;                     // a list insertion, in scored pairs (H100, k 10 vs 1024)
constexpr long long kNoId = LLONG_MAX;                 // id of "nothing yet": ranks after any real pair

__device__ __forceinline__ bool better(float s1, long long i1, float s2, long long i2) {
  return s1 > s2 || (s1 == s2 && i1 < i2);
}

struct QueryState {
  int count;          // candidates in the buffer
  int length;         // entries in the chunk list
  int parity;         // which of the two list copies is current
  float theta_score;  // a candidate must beat (theta_score, theta_id): the kk-th best, once there are kk
  long long theta_id;
};

// Operands of the tensor-core tiles: row-major 64 x 16 blocks of queries and of references.
template <typename T, int kLd>
struct RowTiles {
  T a[tile::kTile][kLd];
  T b[tile::kTile][kLd];
};

struct ScanShared {
  union {
    tile::Operands simt;
    RowTiles<float, 20> tf32;
    RowTiles<__nv_bfloat16, 24> bf16;
  } ops;
  float scores[tile::kTile][tile::kTile];
  float buffer_score[tile::kTile][kBuffer];
  long long buffer_id[tile::kTile][kBuffer];
  QueryState state[tile::kTile];
  float ref_norm[tile::kTile];
  float query_norm[tile::kTile];
};

struct ScanParams {
  const float* queries;      // this pass's queries
  const float* refs;
  int64_t nq;
  int64_t nr;
  int64_t d;
  int64_t id_offset;
  int l2;
  int kk;                    // list length
  int64_t chunk;             // references per chunk (a multiple of 64)
  int nchunks;
  const float* ref_norm;     // L2: |r|^2
  const float* query_norm;   // L2: |q|^2
  float* list_score;         // [nq][nchunks][2][kk]
  long long* list_id;
  int* list_parity;          // [nq][nchunks]
};

__device__ __forceinline__ int64_t list_base(const ScanParams& p, int64_t q, int c, int parity) {
  return ((q * p.nchunks + c) * 2 + parity) * int64_t(p.kk);
}

// Number of entries of a sorted list that rank before (s, i); with or_equal, also those equal.
template <bool kGlobal>
__device__ __forceinline__ int rank_in(const float* scores, const long long* ids, int n, float s, long long i,
                                       bool or_equal) {
  int lo = 0, hi = n;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    const float ms = kGlobal ? __ldcg(scores + mid) : scores[mid];
    const long long mi = kGlobal ? __ldcg(ids + mid) : ids[mid];
    const bool before = better(ms, mi, s, i) || (or_equal && ms == s && mi == i);
    if (before) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// Sorts one (score, id) per lane across the warp, best first.
__device__ __forceinline__ void warp_sort(float& s, long long& id) {
  const int lane = threadIdx.x & 31;
#pragma unroll
  for (int size = 2; size <= 32; size <<= 1) {
#pragma unroll
    for (int stride = size / 2; stride > 0; stride >>= 1) {
      const float os = __shfl_xor_sync(0xffffffffu, s, stride);
      const long long oid = __shfl_xor_sync(0xffffffffu, id, stride);
      const bool lower = (lane & stride) == 0;
      const bool ascending = (lane & size) == 0;
      const bool other_better = better(os, oid, s, id);
      // The lower lane of an ascending pair keeps the better one, the upper the worse.
      if ((lower == ascending) == other_better) {
        s = os;
        id = oid;
      }
    }
  }
}

// Merges the query's buffer into its chunk list (warp-wide).
__device__ void flush(const ScanParams& p, ScanShared& sh, int local_q, int64_t q, int c, QueryState& st) {
  const int lane = threadIdx.x & 31;
  const int n = st.count;
  if (n == 0) return;
  float s = lane < n ? sh.buffer_score[local_q][lane] : -INFINITY;
  long long id = lane < n ? sh.buffer_id[local_q][lane] : kNoId;
  warp_sort(s, id);
  __syncwarp();
  sh.buffer_score[local_q][lane] = s;
  sh.buffer_id[local_q][lane] = id;
  __syncwarp();
  const int64_t cur = list_base(p, q, c, st.parity);
  const int64_t nxt = list_base(p, q, c, st.parity ^ 1);
  const int len = st.length;
  for (int i = lane; i < len; i += 32) {
    const float ls = __ldcg(p.list_score + cur + i);
    const long long li = __ldcg(p.list_id + cur + i);
    const int r = i + rank_in<false>(sh.buffer_score[local_q], sh.buffer_id[local_q], n, ls, li, false);
    if (r < p.kk) p.list_score[nxt + r] = ls, p.list_id[nxt + r] = li;
  }
  if (lane < n) {
    const int r = lane + rank_in<true>(p.list_score + cur, p.list_id + cur, len, s, id, true);
    if (r < p.kk) p.list_score[nxt + r] = s, p.list_id[nxt + r] = id;
  }
  __syncwarp();
  st.length = min(len + n, p.kk);
  st.parity ^= 1;
  st.count = 0;
  if (st.length == p.kk) {
    st.theta_score = __ldcg(p.list_score + nxt + p.kk - 1);
    st.theta_id = __ldcg(p.list_id + nxt + p.kk - 1);
  }
}

// The 64 x 64 scores of queries [q0, q0+64) and references [r0, r0+nrt) into sh.scores.
template <int kPrecision>
__device__ void score_tile(const ScanParams& p, ScanShared& sh, int64_t q0, int64_t nqt, int64_t r0, int64_t nrt) {
  if constexpr (kPrecision == ISC_KNN_FP32) {
    float acc[4][4];
    tile::product(
        acc, p.d, sh.ops.simt,
        [&](auto& dst, int64_t k0) { tile::load_rows_transposed(dst, p.queries, p.d, q0, nqt, k0, p.d); },
        [&](auto& dst, int64_t k0) { tile::load_rows_transposed(dst, p.refs, p.d, r0, nrt, k0, p.d); });
    const int ty = threadIdx.x / 16, tx = threadIdx.x % 16;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
      for (int j = 0; j < 4; ++j) sh.scores[4 * ty + i][4 * tx + j] = acc[i][j];
    }
  } else {
#if __CUDA_ARCH__ >= 800
    using namespace nvcuda;
    const int warp = threadIdx.x / 32;
    const int wr = (warp / 2) * 16;  // rows of this warp's two 16 x 16 fragments
    const int wc = (warp % 2) * 32;
    constexpr bool kTf32 = kPrecision == ISC_KNN_TF32;
    constexpr int K = kTf32 ? 8 : 16;
    using Element = std::conditional_t<kTf32, wmma::precision::tf32, __nv_bfloat16>;
    wmma::fragment<wmma::accumulator, 16, 16, K, float> acc[2];
    wmma::fill_fragment(acc[0], 0.0f);
    wmma::fill_fragment(acc[1], 0.0f);
    auto& ops = [&]() -> auto& {
      if constexpr (kTf32) return sh.ops.tf32; else return sh.ops.bf16;
    }();
    using Stored = std::remove_reference_t<decltype(ops.a[0][0])>;
    constexpr int kLd = sizeof(ops.a[0]) / sizeof(Stored);
    for (int64_t k0 = 0; k0 < p.d; k0 += tile::kDepth) {
      for (int e = threadIdx.x; e < tile::kTile * tile::kDepth; e += tile::kThreads) {
        const int r = e / tile::kDepth, kk = e % tile::kDepth;
        const int64_t k = k0 + kk;
        const float qa = (r < nqt && k < p.d) ? p.queries[(q0 + r) * p.d + k] : 0.0f;
        const float rb = (r < nrt && k < p.d) ? p.refs[(r0 + r) * p.d + k] : 0.0f;
        if constexpr (kTf32) {
          ops.a[r][kk] = qa, ops.b[r][kk] = rb;
        } else {
          ops.a[r][kk] = __float2bfloat16_rn(qa), ops.b[r][kk] = __float2bfloat16_rn(rb);
        }
      }
      __syncthreads();
#pragma unroll
      for (int ks = 0; ks < tile::kDepth; ks += K) {
        wmma::fragment<wmma::matrix_a, 16, 16, K, Element, wmma::row_major> a;
        wmma::load_matrix_sync(a, &ops.a[wr][ks], kLd);
        if constexpr (kTf32) {
          for (int t = 0; t < a.num_elements; ++t) a.x[t] = wmma::__float_to_tf32(a.x[t]);
        }
#pragma unroll
        for (int f = 0; f < 2; ++f) {
          wmma::fragment<wmma::matrix_b, 16, 16, K, Element, wmma::col_major> b;
          wmma::load_matrix_sync(b, &ops.b[wc + 16 * f][ks], kLd);
          if constexpr (kTf32) {
            for (int t = 0; t < b.num_elements; ++t) b.x[t] = wmma::__float_to_tf32(b.x[t]);
          }
          wmma::mma_sync(acc[f], a, b, acc[f]);
        }
      }
      __syncthreads();
    }
    wmma::store_matrix_sync(&sh.scores[wr][wc], acc[0], tile::kTile, wmma::mem_row_major);
    wmma::store_matrix_sync(&sh.scores[wr][wc + 16], acc[1], tile::kTile, wmma::mem_row_major);
#endif
  }
}

template <int kPrecision>
__global__ void __launch_bounds__(tile::kThreads) scan_kernel(ScanParams p) {
  extern __shared__ __align__(16) unsigned char raw[];
  ScanShared& sh = *reinterpret_cast<ScanShared*>(raw);
  const int c = blockIdx.y;
  const int64_t q0 = int64_t(blockIdx.x) * tile::kTile;
  const int64_t nqt = min(int64_t(tile::kTile), p.nq - q0);
  const int64_t r_begin = int64_t(c) * p.chunk;
  const int64_t r_end = min(p.nr, r_begin + p.chunk);
  const int warp = threadIdx.x / 32, lane = threadIdx.x & 31;
  if (threadIdx.x < tile::kTile) {
    sh.state[threadIdx.x] = QueryState{0, 0, 0, -INFINITY, kNoId};
    const int64_t q = q0 + threadIdx.x;
    sh.query_norm[threadIdx.x] = p.l2 && q < p.nq ? p.query_norm[q] : 0.0f;
  }
  for (int64_t r0 = r_begin; r0 < r_end; r0 += tile::kTile) {
    const int64_t nrt = min(int64_t(tile::kTile), r_end - r0);
    if (threadIdx.x < tile::kTile) {
      sh.ref_norm[threadIdx.x] = p.l2 && threadIdx.x < nrt ? p.ref_norm[r0 + threadIdx.x] : 0.0f;
    }
    score_tile<kPrecision>(p, sh, q0, nqt, r0, nrt);
    __syncthreads();
    // Internal scores: q.r, or 2 q.r - |r|^2 - |q|^2 = -|q - r|^2; padding never qualifies.
    for (int e = threadIdx.x; e < tile::kTile * tile::kTile; e += tile::kThreads) {
      const int r = e / tile::kTile, col = e % tile::kTile;
      float s = sh.scores[r][col];
      if (p.l2) s = 2.0f * s - sh.ref_norm[col] - sh.query_norm[r];
      sh.scores[r][col] = col < nrt ? s : -INFINITY;
    }
    __syncthreads();
    for (int i = 0; i < kQueriesPerWarp; ++i) {
      const int local_q = warp * kQueriesPerWarp + i;
      if (local_q >= nqt) break;
      const int64_t q = q0 + local_q;
      QueryState st = sh.state[local_q];
#pragma unroll
      for (int j = 0; j < tile::kTile / 32; ++j) {
        const int col = j * 32 + lane;
        const float s = sh.scores[local_q][col];
        const long long id = p.id_offset + r0 + col;
        bool pass = col < nrt && better(s, id, st.theta_score, st.theta_id);
        unsigned ballot = __ballot_sync(0xffffffffu, pass);
        if (st.count + __popc(ballot) > kBuffer) {
          flush(p, sh, local_q, q, c, st);
          pass = col < nrt && better(s, id, st.theta_score, st.theta_id);
          ballot = __ballot_sync(0xffffffffu, pass);
        }
        if (pass) {
          const int at = st.count + __popc(ballot & ((1u << lane) - 1u));
          sh.buffer_score[local_q][at] = s;
          sh.buffer_id[local_q][at] = id;
        }
        st.count += __popc(ballot);
        __syncwarp();
      }
      if (lane == 0) sh.state[local_q] = st;
      __syncwarp();
    }
    __syncthreads();
  }
  // Last merge of every buffer, then pad each list to kk with "nothing" entries.
  for (int i = 0; i < kQueriesPerWarp; ++i) {
    const int local_q = warp * kQueriesPerWarp + i;
    if (local_q >= nqt) break;
    const int64_t q = q0 + local_q;
    QueryState st = sh.state[local_q];
    flush(p, sh, local_q, q, c, st);
    const int64_t base = list_base(p, q, c, st.parity);
    for (int k = st.length + lane; k < p.kk; k += 32) p.list_score[base + k] = -INFINITY, p.list_id[base + k] = kNoId;
    if (lane == 0) p.list_parity[q * p.nchunks + c] = st.parity;
    __syncwarp();
  }
}

struct MergeParams {
  int64_t nq;
  int kk;
  int k;
  int nchunks;
  int l2;
  int accumulate;
  const float* list_score;
  const long long* list_id;
  const int* list_parity;
  float* scores;         // outputs [nq][k] (read too when accumulating)
  int64_t* ids;
  float* merged_score;   // rerank: [nq][kk] candidates; null: write the outputs
  long long* merged_id;
};

__device__ __forceinline__ float to_internal(int l2, float v) { return l2 ? -v : v; }
__device__ __forceinline__ float from_internal(int l2, float s) { return l2 ? fmaxf(-s, 0.0f) : s; }

// Block-wide: out = best kk of the sorted lists a (smem) and b (global).
__device__ void merge_lists(int kk, const float* as, const long long* ai, const float* bs, const long long* bi,
                            float* os, long long* oi) {
  for (int i = threadIdx.x; i < kk; i += blockDim.x) {
    const int ra = i + rank_in<true>(bs, bi, kk, as[i], ai[i], false);
    if (ra < kk) os[ra] = as[i], oi[ra] = ai[i];
    const float s = __ldcg(bs + i);
    const long long id = __ldcg(bi + i);
    const int rb = i + rank_in<false>(as, ai, kk, s, id, true);
    if (rb < kk) os[rb] = s, oi[rb] = id;
  }
  __syncthreads();
}

__global__ void merge_kernel(MergeParams p) {
  extern __shared__ __align__(16) unsigned char raw[];
  long long* ids[2] = {reinterpret_cast<long long*>(raw), reinterpret_cast<long long*>(raw) + p.kk};
  float* scores[2] = {reinterpret_cast<float*>(ids[1] + p.kk), reinterpret_cast<float*>(ids[1] + p.kk) + p.kk};
  const int64_t q = blockIdx.x;
  int cur = 0;
  int first = 0;
  if (p.accumulate) {
    for (int i = threadIdx.x; i < p.kk; i += blockDim.x) {
      const bool present = i < p.k && p.ids[q * p.k + i] >= 0;
      scores[0][i] = present ? to_internal(p.l2, p.scores[q * p.k + i]) : -INFINITY;
      ids[0][i] = present ? p.ids[q * p.k + i] : kNoId;
    }
  } else {
    const int64_t base = ((q * p.nchunks) * 2 + p.list_parity[q * p.nchunks]) * int64_t(p.kk);
    for (int i = threadIdx.x; i < p.kk; i += blockDim.x) scores[0][i] = p.list_score[base + i], ids[0][i] = p.list_id[base + i];
    first = 1;
  }
  __syncthreads();
  for (int c = first; c < p.nchunks; ++c) {
    const int64_t base = ((q * p.nchunks + c) * 2 + p.list_parity[q * p.nchunks + c]) * int64_t(p.kk);
    merge_lists(p.kk, scores[cur], ids[cur], p.list_score + base, p.list_id + base, scores[cur ^ 1], ids[cur ^ 1]);
    cur ^= 1;
  }
  for (int i = threadIdx.x; i < p.kk; i += blockDim.x) {
    if (p.merged_score != nullptr) {
      p.merged_score[q * p.kk + i] = scores[cur][i];
      p.merged_id[q * p.kk + i] = ids[cur][i];
    } else if (i < p.k) {
      const bool present = ids[cur][i] != kNoId;
      p.scores[q * p.k + i] = present ? from_internal(p.l2, scores[cur][i]) : (p.l2 ? INFINITY : -INFINITY);
      p.ids[q * p.k + i] = present ? ids[cur][i] : -1;
    }
  }
}

struct RerankParams {
  const float* queries;
  const float* refs;
  int64_t nr;
  int64_t d;
  int64_t id_offset;
  int l2;
  int kk;
  int padded;            // kk rounded up to a power of two
  int k;
  const float* merged_score;
  const long long* merged_id;
  float* scores;
  int64_t* ids;
};

// Exact fp32 scores of the candidates (a warp per candidate), then a block bitonic sort.
__global__ void rerank_kernel(RerankParams p) {
  extern __shared__ __align__(16) unsigned char raw[];
  long long* ids = reinterpret_cast<long long*>(raw);
  float* scores = reinterpret_cast<float*>(ids + p.padded);
  float* query = scores + p.padded;
  const int64_t q = blockIdx.x;
  const int warp = threadIdx.x / 32, lane = threadIdx.x & 31, warps = blockDim.x / 32;
  for (int64_t t = threadIdx.x; t < p.d; t += blockDim.x) query[t] = p.queries[q * p.d + t];
  __syncthreads();
  for (int i = warp; i < p.padded; i += warps) {
    float s = -INFINITY;
    long long id = kNoId;
    if (i < p.kk) {
      id = p.merged_id[q * p.kk + i];
      s = p.merged_score[q * p.kk + i];
      const int64_t row = id - p.id_offset;
      if (id != kNoId && row >= 0 && row < p.nr) {
        // A reference of this call: score it exactly. Others came from an earlier, exact result.
        float acc = 0.0f;
        for (int64_t t = lane; t < p.d; t += 32) {
          const float r = p.refs[row * p.d + t];
          acc += p.l2 ? (query[t] - r) * (query[t] - r) : query[t] * r;
        }
#pragma unroll
        for (int off = 16; off > 0; off >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, off);
        s = p.l2 ? -acc : acc;
      }
    }
    if (lane == 0) scores[i] = s, ids[i] = id;
  }
  __syncthreads();
  for (int size = 2; size <= p.padded; size <<= 1) {
    for (int stride = size / 2; stride > 0; stride >>= 1) {
      for (int i = threadIdx.x; i < p.padded; i += blockDim.x) {
        const int j = i ^ stride;
        if (j > i) {
          const bool ascending = (i & size) == 0;
          const bool swap = ascending ? better(scores[j], ids[j], scores[i], ids[i])
                                      : better(scores[i], ids[i], scores[j], ids[j]);
          if (swap) {
            const float ts = scores[i];
            scores[i] = scores[j], scores[j] = ts;
            const long long ti = ids[i];
            ids[i] = ids[j], ids[j] = ti;
          }
        }
      }
      __syncthreads();
    }
  }
  for (int i = threadIdx.x; i < p.k; i += blockDim.x) {
    const bool present = ids[i] != kNoId;
    p.scores[q * p.k + i] = present ? from_internal(p.l2, scores[i]) : (p.l2 ? INFINITY : -INFINITY);
    p.ids[q * p.k + i] = present ? ids[i] : -1;
  }
}

// |x_i|^2 per row, a warp per row.
__global__ void row_norms_kernel(const float* __restrict__ x, int64_t rows, int64_t d, float* __restrict__ out) {
  const int64_t warp = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (warp >= rows) return;
  float acc = 0.0f;
  for (int64_t t = lane; t < d; t += 32) acc += x[warp * d + t] * x[warp * d + t];
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, off);
  if (lane == 0) out[warp] = acc;
}

// How a call is cut into passes over the queries and chunks of the references, and where each
// piece of the workspace goes.
struct Plan {
  int kk = 0;
  int64_t pass = 0;    // queries per pass
  int nchunks = 1;
  int64_t chunk = 0;
  bool rerank = false;
  size_t ref_norm = 0, query_norm = 0, list_score = 0, list_id = 0, list_parity = 0, merged_score = 0,
         merged_id = 0, bytes = 0;
};

// Passes and chunks. A scan block costs about its chunk's length in scored references plus
// kInsertCost per list insertion (a query inserts about kk (1 + ln(chunk / kk)) candidates of a
// random chunk); blocks run in waves of `slots` (the scan blocks the device holds at once). The
// plan minimises passes x waves x block cost within the list budget, preferring larger passes
// and fewer chunks on ties. A fixed "two blocks per multiprocessor" rule had left a third of an
// H100's slots idle and made a half-empty second wave.
Plan make_plan(const isc_knn_args& a, int slots) {
  Plan plan;
  plan.rerank = a.precision != ISC_KNN_FP32;
  plan.kk = a.k;
  if (plan.rerank) {
    const int wanted = a.rerank > 0 ? a.rerank : std::max(2 * a.k, a.k + 32);
    plan.kk = std::min(kMaxList, std::max(a.k, wanted));
  }
  const int64_t nq = std::max<int64_t>(a.nq, 1);
  const int64_t max_chunks = std::clamp<int64_t>(a.nr / kMinChunk, 1, slots);
  double best_total = INFINITY;
  for (int64_t pass = nq;; pass = std::max<int64_t>(tile::kTile, pass / 2)) {
    const int64_t tiles = (pass + tile::kTile - 1) / tile::kTile;
    const size_t chunk_lists = size_t(pass) * 2 * plan.kk * (sizeof(float) + sizeof(long long));
    const int64_t fit = std::min<int64_t>(max_chunks, std::max<size_t>(kListBudget / chunk_lists, 1));
    if (kListBudget >= chunk_lists || pass <= tile::kTile) {
      for (int64_t n = 1; n <= fit; ++n) {
        const double chunk = double((a.nr + n - 1) / n);
        const double inserts = chunk <= plan.kk ? chunk : plan.kk * (1.0 + std::log(chunk / plan.kk));
        const double waves = double((tiles * n + slots - 1) / slots);
        const double total = double((nq + pass - 1) / pass) * waves * (chunk + kInsertCost * inserts);
        if (total < best_total * (1 - 1e-9)) best_total = total, plan.pass = pass, plan.nchunks = static_cast<int>(n);
      }
    }
    if (pass <= tile::kTile) break;
  }
  const int64_t per_chunk = (a.nr + plan.nchunks - 1) / plan.nchunks;
  plan.chunk = (per_chunk + tile::kTile - 1) / tile::kTile * tile::kTile;
  const bool l2 = a.metric == ISC_METRIC_L2;
  const size_t lists = size_t(plan.pass) * plan.nchunks * 2 * plan.kk;
  WorkspaceLayout layout;
  plan.ref_norm = layout.take(l2 ? sizeof(float) * a.nr : 0);
  plan.query_norm = layout.take(l2 ? sizeof(float) * plan.pass : 0);
  plan.list_score = layout.take(sizeof(float) * lists);
  plan.list_id = layout.take(sizeof(long long) * lists);
  plan.list_parity = layout.take(sizeof(int) * plan.pass * plan.nchunks);
  plan.merged_score = layout.take(plan.rerank ? sizeof(float) * plan.pass * plan.kk : 0);
  plan.merged_id = layout.take(plan.rerank ? sizeof(long long) * plan.pass * plan.kk : 0);
  plan.bytes = layout.bytes();
  return plan;
}

// Scan blocks the device runs at once: multiprocessors x the scan kernel's occupancy.
int scan_slots(int device, int precision) {
  DeviceGuard guard(device);
  int per_multiprocessor = 0;
  auto occupancy = [&](auto kernel) {
    check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(sizeof(ScanShared))),
          "cudaFuncSetAttribute(scan)");
    check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_multiprocessor, kernel, tile::kThreads, sizeof(ScanShared)),
          "cudaOccupancyMaxActiveBlocksPerMultiprocessor(scan)");
  };
  switch (precision) {
    case ISC_KNN_TF32: occupancy(scan_kernel<ISC_KNN_TF32>); break;
    case ISC_KNN_BF16: occupancy(scan_kernel<ISC_KNN_BF16>); break;
    default: occupancy(scan_kernel<ISC_KNN_FP32>); break;
  }
  return std::max(1, per_multiprocessor) * multiprocessors(device);
}

void check_args(const isc_knn_args* a) {
  if (a == nullptr) fail(ISC_INVALID_ARGUMENT, "args is NULL");
  if (a->nq < 0 || a->nr < 1 || a->d < 1) {
    fail(ISC_INVALID_ARGUMENT, "sizes must be nq >= 0, nr >= 1, d >= 1; got %lld, %lld, %lld",
         static_cast<long long>(a->nq), static_cast<long long>(a->nr), static_cast<long long>(a->d));
  }
  if (a->k < 1 || a->k > ISC_KNN_MAX_K) fail(ISC_INVALID_ARGUMENT, "k must be in [1, %d], got %d", ISC_KNN_MAX_K, a->k);
  if (a->metric != ISC_METRIC_INNER_PRODUCT && a->metric != ISC_METRIC_L2) fail(ISC_INVALID_ARGUMENT, "unknown metric code %d", a->metric);
  if (a->precision < ISC_KNN_FP32 || a->precision > ISC_KNN_BF16) fail(ISC_INVALID_ARGUMENT, "unknown precision code %d", a->precision);
  if (a->rerank < 0) fail(ISC_INVALID_ARGUMENT, "rerank must be >= 0, got %d", a->rerank);
}

template <int kPrecision>
void launch_scan(const ScanParams& p, dim3 grid, cudaStream_t stream) {
  check(cudaFuncSetAttribute(scan_kernel<kPrecision>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             static_cast<int>(sizeof(ScanShared))),
        "cudaFuncSetAttribute(scan)");
  scan_kernel<kPrecision><<<grid, tile::kThreads, sizeof(ScanShared), stream>>>(p);
  check(cudaGetLastError(), "knn scan launch");
}

void knn(const isc_knn_args& a) {
  if (a.nq == 0) return;
  const int device = device_of(a.queries, "queries");
  if (device_of(a.refs, "refs") != device || device_of(a.scores, "scores") != device || device_of(a.ids, "ids") != device) {
    fail(ISC_INVALID_ARGUMENT, "queries, refs, scores and ids must be on one device");
  }
  DeviceGuard guard(device);
  if (a.precision != ISC_KNN_FP32) {
    int major = 0;
    check(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device), "cudaDeviceGetAttribute");
    if (major < 8) fail(ISC_UNSUPPORTED, "TF32 and BF16 search need a GPU of compute capability 8.0 or newer (this one is %d.x)", major);
  }
  const Plan plan = make_plan(a, scan_slots(device, a.precision));
  require_workspace(a.workspace, a.workspace_bytes, plan.bytes);
  const auto stream = static_cast<cudaStream_t>(a.stream);
  const bool l2 = a.metric == ISC_METRIC_L2;
  auto* ref_norm = region<float>(a.workspace, plan.ref_norm);
  auto* query_norm = region<float>(a.workspace, plan.query_norm);
  if (l2) {
    row_norms_kernel<<<static_cast<unsigned>((a.nr * 32 + 255) / 256), 256, 0, stream>>>(a.refs, a.nr, a.d, ref_norm);
    check(cudaGetLastError(), "row norms launch");
  }
  for (int64_t q0 = 0; q0 < a.nq; q0 += plan.pass) {
    const int64_t nq = std::min(plan.pass, a.nq - q0);
    const float* queries = a.queries + q0 * a.d;
    if (l2) {
      row_norms_kernel<<<static_cast<unsigned>((nq * 32 + 255) / 256), 256, 0, stream>>>(queries, nq, a.d, query_norm);
      check(cudaGetLastError(), "row norms launch");
    }
    ScanParams sp{queries, a.refs, nq, a.nr, a.d, a.id_offset, l2 ? 1 : 0, plan.kk, plan.chunk, plan.nchunks,
                  ref_norm, query_norm, region<float>(a.workspace, plan.list_score),
                  region<long long>(a.workspace, plan.list_id), region<int>(a.workspace, plan.list_parity)};
    const dim3 grid(static_cast<unsigned>((nq + tile::kTile - 1) / tile::kTile), static_cast<unsigned>(plan.nchunks));
    switch (a.precision) {
      case ISC_KNN_TF32: launch_scan<ISC_KNN_TF32>(sp, grid, stream); break;
      case ISC_KNN_BF16: launch_scan<ISC_KNN_BF16>(sp, grid, stream); break;
      default: launch_scan<ISC_KNN_FP32>(sp, grid, stream); break;
    }
    float* out_scores = a.scores + q0 * a.k;
    int64_t* out_ids = a.ids + q0 * a.k;
    MergeParams mp{nq, plan.kk, a.k, plan.nchunks, l2 ? 1 : 0, a.accumulate ? 1 : 0, sp.list_score, sp.list_id,
                   sp.list_parity, out_scores, out_ids,
                   plan.rerank ? region<float>(a.workspace, plan.merged_score) : nullptr,
                   plan.rerank ? region<long long>(a.workspace, plan.merged_id) : nullptr};
    const size_t merge_smem = size_t(plan.kk) * 2 * (sizeof(float) + sizeof(long long));
    check(cudaFuncSetAttribute(merge_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(merge_smem)),
          "cudaFuncSetAttribute(merge)");
    merge_kernel<<<static_cast<unsigned>(nq), 256, merge_smem, stream>>>(mp);
    check(cudaGetLastError(), "knn merge launch");
    if (plan.rerank) {
      int padded = 1;
      while (padded < plan.kk) padded <<= 1;
      RerankParams rp{queries, a.refs, a.nr, a.d, a.id_offset, l2 ? 1 : 0, plan.kk, padded, a.k,
                      mp.merged_score, mp.merged_id, out_scores, out_ids};
      const size_t smem = size_t(padded) * (sizeof(float) + sizeof(long long)) + sizeof(float) * a.d;
      check(cudaFuncSetAttribute(rerank_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
            "cudaFuncSetAttribute(rerank)");
      rerank_kernel<<<static_cast<unsigned>(nq), 256, smem, stream>>>(rp);
      check(cudaGetLastError(), "knn rerank launch");
    }
  }
}

}  // namespace
}  // namespace isc::cuda

extern "C" {

int32_t isc_cuda_knn_workspace_size(const isc_knn_args* args, size_t* bytes, isc_status* status) {
  return isc::guarded(status, "isc_cuda_knn_workspace_size", [&] {
    isc::cuda::check_args(args);
    if (bytes == nullptr) isc::fail(ISC_INVALID_ARGUMENT, "bytes is NULL");
    if (args->nq == 0) {
      *bytes = 0;
      return;
    }
    const int device = isc::cuda::device_of(args->queries, "queries");
    *bytes = isc::cuda::make_plan(*args, isc::cuda::scan_slots(device, args->precision)).bytes;
  });
}

int32_t isc_cuda_knn(const isc_knn_args* args, isc_status* status) {
  return isc::guarded(status, "isc_cuda_knn", [&] {
    isc::cuda::check_args(args);
    isc::cuda::knn(*args);
  });
}

}  // extern "C"
