// A 64 x 64 fp32 product tile on 256 threads, shared by the kNN and the contrastive loss.
// Thread t owns a 4 x 4 block of the tile: rows 4*(t/16) .. +3, columns 4*(t%16) .. +3. The
// operands go through shared memory in steps of 16 along the inner dimension, stored
// "depth-major" (As[k][row], Bs[k][col]) so a thread reads its 4 rows and 4 columns with two
// 16-byte loads per step. Loaders fill those arrays and decide the layout in global memory.
#pragma once

#include <cuda_runtime.h>

namespace isc::cuda::tile {

constexpr int kThreads = 256;
constexpr int kTile = 64;    // rows and columns of the tile
constexpr int kDepth = 16;   // inner-dimension step
constexpr int kPad = 4;      // keeps rows 16-byte aligned and spreads banks
constexpr int kStride = kTile + kPad;

struct Operands {
  float a[kDepth][kStride];
  float b[kDepth][kStride];
};

// acc[i][j] = sum over the inner dimension [0, depth) of A(row 4*ty+i, k) * B(k, col 4*tx+j), where
// load_a(ops.a, k0) fills ops.a[kk][r] = A(r, k0+kk) and load_b(ops.b, k0) fills ops.b[kk][c] = B(k0+kk, c),
// with zeros outside the matrices.
template <class LoadA, class LoadB>
__device__ __forceinline__ void product(float (&acc)[4][4], int64_t depth, Operands& ops, LoadA&& load_a,
                                        LoadB&& load_b) {
  const int ty = threadIdx.x / 16;
  const int tx = threadIdx.x % 16;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
#pragma unroll
    for (int j = 0; j < 4; ++j) acc[i][j] = 0.0f;
  }
  for (int64_t k0 = 0; k0 < depth; k0 += kDepth) {
    load_a(ops.a, k0);
    load_b(ops.b, k0);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kDepth; ++kk) {
      const float4 a = *reinterpret_cast<const float4*>(&ops.a[kk][4 * ty]);
      const float4 b = *reinterpret_cast<const float4*>(&ops.b[kk][4 * tx]);
      const float av[4] = {a.x, a.y, a.z, a.w};
      const float bv[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
      for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
      }
    }
    __syncthreads();
  }
}

// Fills dst[kk][r] = m[(row0 + r) * ld + k0 + kk] for r < rows, kk with k0 + kk < depth; zero elsewhere.
// Reads 16 consecutive floats of a row per 16 threads (coalesced), writes them transposed.
__device__ __forceinline__ void load_rows_transposed(float (&dst)[kDepth][kStride], const float* __restrict__ m,
                                                     int64_t ld, int64_t row0, int64_t rows, int64_t k0,
                                                     int64_t depth) {
#pragma unroll
  for (int e = 0; e < (kTile * kDepth) / kThreads; ++e) {
    const int idx = threadIdx.x + e * kThreads;
    const int r = idx / kDepth;
    const int kk = idx % kDepth;
    const int64_t row = row0 + r;
    const int64_t k = k0 + kk;
    dst[kk][r] = (r < rows && k < depth) ? m[row * ld + k] : 0.0f;
  }
}

// Fills dst[kk][c] = m[(k0 + kk) * ld + col0 + c] for c < cols and k0 + kk < depth; zero elsewhere.
__device__ __forceinline__ void load_rows_direct(float (&dst)[kDepth][kStride], const float* __restrict__ m,
                                                 int64_t ld, int64_t col0, int64_t cols, int64_t k0,
                                                 int64_t depth) {
#pragma unroll
  for (int e = 0; e < (kTile * kDepth) / kThreads; ++e) {
    const int idx = threadIdx.x + e * kThreads;
    const int kk = idx / kTile;
    const int c = idx % kTile;
    const int64_t k = k0 + kk;
    dst[kk][c] = (c < cols && k < depth) ? m[k * ld + col0 + c] : 0.0f;
  }
}

}  // namespace isc::cuda::tile
