// CUDA memory-bank contrastive loss (semantics in isc/contrastive.h).
// Forward: normalise + enqueue, |m|^2 of the bank rows, a tiled batch x bank product whose
// epilogue writes the distances and per-block pair statistics, a fixed-order final sum (the
// result does not depend on scheduling). Backward: normalise again, a tiled product u x bank of
// the weights u = (dL/dd)/d, split along the bank, whose first column of blocks also sums each
// row of u, and a last pass through the L2 normalisation.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "contrastive_checks.hpp"
#include "cuda_check.cuh"
#include "isc/contrastive.h"
#include "tile_gemm.cuh"
#include "workspace.cuh"

namespace isc::cuda {
namespace {

constexpr float kNormEps = 1e-12f;
constexpr int kPartials = 6;  // pos_sum, neg_sum, active_pos, active_neg, pos_pairs, neg_pairs

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

// A warp per row: unit = x / max(|x|, eps), |unit|^2, |x|; with memory, also the enqueue.
// Slots outside the bank are skipped rather than written (the host checks them; this keeps a bad
// call from corrupting device memory).
__global__ void normalize_kernel(const float* __restrict__ x, int64_t batch, int64_t dim, float* __restrict__ unit,
                                 float* __restrict__ unit_sq, float* __restrict__ norms, float* memory,
                                 int64_t* memory_labels, int64_t memory_size, const int64_t* __restrict__ labels,
                                 const int64_t* __restrict__ slots) {
  const int64_t row = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (row >= batch) return;
  if (memory != nullptr && (slots[row] < 0 || slots[row] >= memory_size)) memory = nullptr;
  float sq = 0.0f;
  for (int64_t t = lane; t < dim; t += 32) sq += x[row * dim + t] * x[row * dim + t];
  const float norm = sqrtf(warp_sum(sq));
  const float scale = 1.0f / fmaxf(norm, kNormEps);
  float usq = 0.0f;
  for (int64_t t = lane; t < dim; t += 32) {
    const float u = x[row * dim + t] * scale;
    unit[row * dim + t] = u;
    usq += u * u;
    if (memory != nullptr) memory[slots[row] * dim + t] = u;
  }
  usq = warp_sum(usq);
  if (lane == 0) {
    unit_sq[row] = usq;
    norms[row] = norm;
    if (memory != nullptr) memory_labels[slots[row]] = labels[row];
  }
}

__global__ void row_sq_kernel(const float* __restrict__ m, int64_t rows, int64_t dim, float* __restrict__ out) {
  const int64_t row = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (row >= rows) return;
  float sq = 0.0f;
  for (int64_t t = lane; t < dim; t += 32) sq += m[row * dim + t] * m[row * dim + t];
  sq = warp_sum(sq);
  if (lane == 0) out[row] = sq;
}

// +1 positive, -1 negative, 0 the item's own copy.
__device__ __forceinline__ int sign_of(int64_t label, int64_t memory_label, int64_t row, int64_t slot) {
  if (label != memory_label) return -1;
  return row == slot ? 0 : 1;
}

struct ForwardParams {
  const float* unit;
  const float* unit_sq;
  const float* memory;
  const float* memory_sq;
  const int64_t* labels;
  const int64_t* memory_labels;
  const int64_t* slots;
  int64_t batch, dim, rows;
  float pos_margin, neg_margin;
  float* distances;
  double* partials;  // [blocks][kPartials]
};

__global__ void __launch_bounds__(tile::kThreads) distance_kernel(ForwardParams p) {
  __shared__ tile::Operands ops;
  __shared__ double reduce[tile::kThreads / 32][kPartials];
  const int64_t i0 = int64_t(blockIdx.x) * tile::kTile;
  const int64_t j0 = int64_t(blockIdx.y) * tile::kTile;
  float acc[4][4];
  tile::product(
      acc, p.dim, ops,
      [&](auto& dst, int64_t k0) { tile::load_rows_transposed(dst, p.unit, p.dim, i0, p.batch - i0, k0, p.dim); },
      [&](auto& dst, int64_t k0) { tile::load_rows_transposed(dst, p.memory, p.dim, j0, p.rows - j0, k0, p.dim); });
  const int ty = threadIdx.x / 16, tx = threadIdx.x % 16;
  double sums[kPartials] = {0, 0, 0, 0, 0, 0};
#pragma unroll
  for (int a = 0; a < 4; ++a) {
    const int64_t i = i0 + 4 * ty + a;
    if (i >= p.batch) continue;
#pragma unroll
    for (int b = 0; b < 4; ++b) {
      const int64_t j = j0 + 4 * tx + b;
      if (j >= p.rows) continue;
      const float d = sqrtf(fmaxf(p.unit_sq[i] + p.memory_sq[j] - 2.0f * acc[a][b], 0.0f));
      p.distances[i * p.rows + j] = d;
      const int sign = sign_of(p.labels[i], p.memory_labels[j], j, p.slots[i]);
      if (sign > 0) {
        sums[4] += 1;
        const float term = d - p.pos_margin;
        if (term > 0) sums[0] += term, sums[2] += 1;
      } else if (sign < 0) {
        sums[5] += 1;
        const float term = p.neg_margin - d;
        if (term > 0) sums[1] += term, sums[3] += 1;
      }
    }
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x & 31;
#pragma unroll
  for (int s = 0; s < kPartials; ++s) {
    double v = sums[s];
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
    if (lane == 0) reduce[warp][s] = v;
  }
  __syncthreads();
  if (threadIdx.x < kPartials) {
    double v = 0;
    for (int w = 0; w < tile::kThreads / 32; ++w) v += reduce[w][threadIdx.x];
    const int64_t block = int64_t(blockIdx.y) * gridDim.x + blockIdx.x;
    p.partials[block * kPartials + threadIdx.x] = v;
  }
}

constexpr int kFinalizeThreads = 256;

// Sums the block partials in a fixed order (the result does not depend on scheduling): thread t
// takes blocks t, t + 256, ..., then a tree over the threads. One thread per statistic reading
// every block was latency-bound (127 us under Nsight Compute for 1 252 blocks on an H100).
__global__ void __launch_bounds__(kFinalizeThreads) finalize_kernel(const double* __restrict__ partials,
                                                                   int64_t blocks, double* __restrict__ stats) {
  __shared__ double part[kPartials][kFinalizeThreads];
  __shared__ double total[kPartials];
  double v[kPartials] = {0, 0, 0, 0, 0, 0};
  for (int64_t b = threadIdx.x; b < blocks; b += kFinalizeThreads) {
#pragma unroll
    for (int s = 0; s < kPartials; ++s) v[s] += partials[b * kPartials + s];
  }
#pragma unroll
  for (int s = 0; s < kPartials; ++s) part[s][threadIdx.x] = v[s];
  __syncthreads();
  for (int half = kFinalizeThreads / 2; half > 0; half >>= 1) {
    if (threadIdx.x < half) {
#pragma unroll
      for (int s = 0; s < kPartials; ++s) part[s][threadIdx.x] += part[s][threadIdx.x + half];
    }
    __syncthreads();
  }
  if (threadIdx.x < kPartials) total[threadIdx.x] = part[threadIdx.x][0];
  __syncthreads();
  if (threadIdx.x == 0) {
    const double pos = total[2] > 0 ? total[0] / total[2] : 0.0;
    const double neg = total[3] > 0 ? total[1] / total[3] : 0.0;
    stats[ISC_CONTRASTIVE_LOSS] = pos + neg;
    stats[ISC_CONTRASTIVE_POS_LOSS] = pos;
    stats[ISC_CONTRASTIVE_NEG_LOSS] = neg;
    stats[ISC_CONTRASTIVE_ACTIVE_POS] = total[2];
    stats[ISC_CONTRASTIVE_ACTIVE_NEG] = total[3];
    stats[ISC_CONTRASTIVE_POS_PAIRS] = total[4];
    stats[ISC_CONTRASTIVE_NEG_PAIRS] = total[5];
  }
}

struct WeightParams {
  const float* distances;
  const int64_t* labels;
  const int64_t* memory_labels;
  const int64_t* slots;
  const double* stats;
  int64_t batch, rows;
  float pos_margin, neg_margin;
};

// u_ij = (dL/dd_ij) / d_ij: +1/P for active positives, -1/N for active negatives, 0 otherwise.
__device__ __forceinline__ float weight(const WeightParams& w, float pos_w, float neg_w, int64_t i, int64_t j) {
  const float d = w.distances[i * w.rows + j];
  const int sign = sign_of(w.labels[i], w.memory_labels[j], j, w.slots[i]);
  float g = 0.0f;
  if (sign > 0 && d - w.pos_margin > 0) g = pos_w;
  if (sign < 0 && w.neg_margin - d > 0) g = neg_w;
  return d > 0 ? g / d : 0.0f;
}

__device__ __forceinline__ void pair_weights(const WeightParams& w, float& pos_w, float& neg_w) {
  const double active_pos = w.stats[ISC_CONTRASTIVE_ACTIVE_POS];
  const double active_neg = w.stats[ISC_CONTRASTIVE_ACTIVE_NEG];
  pos_w = active_pos > 0 ? static_cast<float>(1.0 / active_pos) : 0.0f;
  neg_w = active_neg > 0 ? static_cast<float>(-1.0 / active_neg) : 0.0f;
}

// partial[split][i][t] = sum over this split's bank rows j of u_ij * m_jt; the blocks of the
// first column of the dimension also write row_sums[split][i] = sum over the same j of u_ij
// (they load every u_ij of their rows anyway; a separate pass over u took half the backward).
__global__ void __launch_bounds__(tile::kThreads) weighted_bank_kernel(WeightParams w, const float* __restrict__ memory,
                                                                       int64_t dim, int64_t split_rows,
                                                                       float* __restrict__ partial,
                                                                       float* __restrict__ row_sums) {
  constexpr int kLoads = (tile::kTile * tile::kDepth) / tile::kThreads;  // u values a thread loads per step
  const bool sums_rows = blockIdx.y == 0;
  float u_sum[kLoads] = {};  // element e: row (threadIdx.x + e * kThreads) / kDepth of the tile
  __shared__ tile::Operands ops;
  const int64_t i0 = int64_t(blockIdx.x) * tile::kTile;
  const int64_t t0 = int64_t(blockIdx.y) * tile::kTile;
  const int64_t j_begin = int64_t(blockIdx.z) * split_rows;
  const int64_t depth = min(split_rows, w.rows - j_begin);
  float pos_w, neg_w;
  pair_weights(w, pos_w, neg_w);
  float acc[4][4];
  tile::product(
      acc, depth, ops,
      [&](auto& dst, int64_t k0) {
        // dst[kk][r] = u(i0 + r, j_begin + k0 + kk), read along j (coalesced).
#pragma unroll
        for (int e = 0; e < (tile::kTile * tile::kDepth) / tile::kThreads; ++e) {
          const int idx = threadIdx.x + e * tile::kThreads;
          const int r = idx / tile::kDepth, kk = idx % tile::kDepth;
          const int64_t i = i0 + r, k = k0 + kk;
          const float u = (i < w.batch && k < depth) ? weight(w, pos_w, neg_w, i, j_begin + k) : 0.0f;
          dst[kk][r] = u;
          u_sum[e] += u;
        }
      },
      [&](auto& dst, int64_t k0) {
        tile::load_rows_direct(dst, memory + j_begin * dim, dim, t0, dim - t0, k0, depth);
      });
  if (sums_rows) {
    // The kDepth threads that loaded a row's values are consecutive lanes: a fixed-order tree.
#pragma unroll
    for (int e = 0; e < kLoads; ++e) {
      float v = u_sum[e];
#pragma unroll
      for (int off = tile::kDepth / 2; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
      const int idx = threadIdx.x + e * tile::kThreads;
      const int64_t i = i0 + idx / tile::kDepth;
      if (idx % tile::kDepth == 0 && i < w.batch) row_sums[int64_t(blockIdx.z) * w.batch + i] = v;
    }
  }
  const int ty = threadIdx.x / 16, tx = threadIdx.x % 16;
  float* out = partial + int64_t(blockIdx.z) * w.batch * dim;
#pragma unroll
  for (int a = 0; a < 4; ++a) {
    const int64_t i = i0 + 4 * ty + a;
    if (i >= w.batch) continue;
#pragma unroll
    for (int b = 0; b < 4; ++b) {
      const int64_t t = t0 + 4 * tx + b;
      if (t < dim) out[i * dim + t] = acc[a][b];
    }
  }
}

// A warp per row: dL/d(unit) = g (c_i unit_i - sum_s partial_s) with c_i = sum_s sums_s, then
// through x / max(|x|, eps).
__global__ void finish_backward_kernel(const float* __restrict__ unit, const float* __restrict__ norms,
                                       const float* __restrict__ sums, const float* __restrict__ partial,
                                       int splits, int64_t batch, int64_t dim, const float* __restrict__ grad_loss,
                                       float* __restrict__ grad) {
  const int64_t i = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (i >= batch) return;
  const float upstream = *grad_loss;
  float dot = 0.0f;
  float row_sum = 0.0f;
  for (int s = 0; s < splits; ++s) row_sum += sums[int64_t(s) * batch + i];
  for (int64_t t = lane; t < dim; t += 32) {
    float weighted = 0.0f;
    for (int s = 0; s < splits; ++s) weighted += partial[(int64_t(s) * batch + i) * dim + t];
    const float g = upstream * (row_sum * unit[i * dim + t] - weighted);
    grad[i * dim + t] = g;
    dot += g * unit[i * dim + t];
  }
  dot = warp_sum(dot);
  const bool clamped = norms[i] <= kNormEps;
  const float inv = 1.0f / fmaxf(norms[i], kNormEps);
  for (int64_t t = lane; t < dim; t += 32) {
    const float g = grad[i * dim + t];
    grad[i * dim + t] = (clamped ? g : g - unit[i * dim + t] * dot) * inv;
  }
}

// The split of the work, and where each buffer lives in the workspace.
struct Plan {
  int64_t row_tiles, col_tiles, splits, split_rows;
  size_t unit, unit_sq, norms, memory_sq, partials, sums, weighted, bytes;
};

Plan make_plan(const isc_contrastive_args& a, int multiprocessors) {
  Plan p{};
  p.row_tiles = (a.batch + tile::kTile - 1) / tile::kTile;
  p.col_tiles = (a.memory_rows + tile::kTile - 1) / tile::kTile;
  // Backward: split the bank so that about two blocks per multiprocessor work at once.
  const int64_t dim_tiles = (a.dim + tile::kTile - 1) / tile::kTile;
  const int64_t blocks = p.row_tiles * dim_tiles;
  p.splits = std::clamp<int64_t>((2 * int64_t(multiprocessors) + blocks - 1) / blocks, 1,
                                 std::max<int64_t>(1, a.memory_rows / 256));
  p.split_rows = (a.memory_rows + p.splits - 1) / p.splits;
  WorkspaceLayout layout;
  p.unit = layout.take(sizeof(float) * a.batch * a.dim);
  p.unit_sq = layout.take(sizeof(float) * a.batch);
  p.norms = layout.take(sizeof(float) * a.batch);
  p.memory_sq = layout.take(sizeof(float) * a.memory_rows);
  p.partials = layout.take(sizeof(double) * kPartials * p.row_tiles * p.col_tiles);
  p.sums = layout.take(sizeof(float) * p.splits * a.batch);
  p.weighted = layout.take(sizeof(float) * p.splits * a.batch * a.dim);
  p.bytes = layout.bytes();
  return p;
}

int device_for(const isc_contrastive_args& a) {
  const int device = device_of(a.embeddings, "embeddings");
  for (const auto& [ptr, name] : {std::pair<const void*, const char*>{a.labels, "labels"},
                                  {a.memory, "memory"}, {a.memory_labels, "memory_labels"}, {a.slots, "slots"},
                                  {a.distances, "distances"}, {a.stats, "stats"}}) {
    if (device_of(ptr, name) != device) fail(ISC_INVALID_ARGUMENT, "%s is on another device than embeddings", name);
  }
  return device;
}

unsigned warps_grid(int64_t rows) { return static_cast<unsigned>((rows * 32 + 255) / 256); }

// The plan of a call on `device`, after checking that the workspace holds it.
Plan checked_plan(const isc_contrastive_args& a, int device) {
  const Plan plan = make_plan(a, multiprocessors(device));
  require_workspace(a.workspace, a.workspace_bytes, plan.bytes);
  return plan;
}

void forward(const isc_contrastive_args& a) {
  const int device = device_for(a);
  DeviceGuard guard(device);
  const Plan plan = checked_plan(a, device);
  auto* unit = region<float>(a.workspace, plan.unit);
  auto* unit_sq = region<float>(a.workspace, plan.unit_sq);
  auto* norms = region<float>(a.workspace, plan.norms);
  auto* memory_sq = region<float>(a.workspace, plan.memory_sq);
  auto* partials = region<double>(a.workspace, plan.partials);
  const auto stream = static_cast<cudaStream_t>(a.stream);
  normalize_kernel<<<warps_grid(a.batch), 256, 0, stream>>>(a.embeddings, a.batch, a.dim, unit, unit_sq, norms,
                                                            a.memory, a.memory_labels, a.memory_size, a.labels,
                                                            a.slots);
  check(cudaGetLastError(), "normalize launch");
  row_sq_kernel<<<warps_grid(a.memory_rows), 256, 0, stream>>>(a.memory, a.memory_rows, a.dim, memory_sq);
  check(cudaGetLastError(), "bank norms launch");
  ForwardParams fp{unit, unit_sq, a.memory, memory_sq, a.labels, a.memory_labels, a.slots, a.batch, a.dim,
                   a.memory_rows, a.pos_margin, a.neg_margin, a.distances, partials};
  distance_kernel<<<dim3(static_cast<unsigned>(plan.row_tiles), static_cast<unsigned>(plan.col_tiles)), tile::kThreads, 0,
                    stream>>>(fp);
  check(cudaGetLastError(), "distance launch");
  finalize_kernel<<<1, kFinalizeThreads, 0, stream>>>(partials, plan.row_tiles * plan.col_tiles, a.stats);
  check(cudaGetLastError(), "finalize launch");
}

void backward(const isc_contrastive_args& a) {
  const int device = device_for(a);
  if (device_of(a.grad_embeddings, "grad_embeddings") != device || device_of(a.grad_loss, "grad_loss") != device) {
    fail(ISC_INVALID_ARGUMENT, "grad_embeddings and grad_loss must be on the device of embeddings");
  }
  DeviceGuard guard(device);
  const Plan plan = checked_plan(a, device);
  auto* unit = region<float>(a.workspace, plan.unit);
  auto* unit_sq = region<float>(a.workspace, plan.unit_sq);
  auto* norms = region<float>(a.workspace, plan.norms);
  auto* sums = region<float>(a.workspace, plan.sums);
  auto* weighted = region<float>(a.workspace, plan.weighted);
  const auto stream = static_cast<cudaStream_t>(a.stream);
  normalize_kernel<<<warps_grid(a.batch), 256, 0, stream>>>(a.embeddings, a.batch, a.dim, unit, unit_sq, norms,
                                                            nullptr, nullptr, 0, nullptr, nullptr);
  check(cudaGetLastError(), "normalize launch");
  WeightParams wp{a.distances, a.labels, a.memory_labels, a.slots, a.stats, a.batch, a.memory_rows,
                  a.pos_margin, a.neg_margin};
  const int64_t dim_tiles = (a.dim + tile::kTile - 1) / tile::kTile;
  weighted_bank_kernel<<<dim3(static_cast<unsigned>(plan.row_tiles), static_cast<unsigned>(dim_tiles),
                              static_cast<unsigned>(plan.splits)),
                         tile::kThreads, 0, stream>>>(wp, a.memory, a.dim, plan.split_rows, weighted, sums);
  check(cudaGetLastError(), "weighted bank launch");
  finish_backward_kernel<<<warps_grid(a.batch), 256, 0, stream>>>(unit, norms, sums, weighted,
                                                                  static_cast<int>(plan.splits), a.batch, a.dim,
                                                                  a.grad_loss, a.grad_embeddings);
  check(cudaGetLastError(), "finish backward launch");
}

}  // namespace
}  // namespace isc::cuda

extern "C" {

int32_t isc_cuda_contrastive_workspace_size(const isc_contrastive_args* args, size_t* bytes, isc_status* status) {
  return isc::guarded(status, "isc_cuda_contrastive_workspace_size", [&] {
    isc::check_contrastive(args, false);
    if (bytes == nullptr) isc::fail(ISC_INVALID_ARGUMENT, "bytes is NULL");
    const int device = isc::cuda::device_of(args->embeddings, "embeddings");
    *bytes = isc::cuda::make_plan(*args, isc::cuda::multiprocessors(device)).bytes;
  });
}

int32_t isc_cuda_contrastive_forward(const isc_contrastive_args* args, isc_status* status) {
  return isc::guarded(status, "isc_cuda_contrastive_forward", [&] {
    isc::check_contrastive(args, false);
    isc::cuda::forward(*args);
  });
}

int32_t isc_cuda_contrastive_backward(const isc_contrastive_args* args, isc_status* status) {
  return isc::guarded(status, "isc_cuda_contrastive_backward", [&] {
    isc::check_contrastive(args, true);
    isc::cuda::backward(*args);
  });
}

}  // extern "C"
