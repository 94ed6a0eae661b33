// CUDA GeM pooling. A group of G lanes (G a power of two <= 32) owns one row of hw elements;
// a warp covers 32/G consecutive rows, so every load instruction reads contiguous memory, and
// the input is read exactly once. Rows whose size and address allow it are read with 16-byte
// vector loads. Sums are fp32 for every storage type.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <type_traits>
#include <utility>

#include "cuda_check.cuh"
#include "gem_checks.hpp"
#include "isc/gem.h"

namespace isc::cuda {
namespace {

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ float from_float<float>(float v) { return v; }
template <>
__device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

// max(v, eps) that keeps NaN (fmaxf would drop it).
__device__ __forceinline__ float clamp_eps(float v, float eps) { return v < eps ? eps : v; }

constexpr float kLn2 = 0.6931471805599453f;

// z^p and z^(p-1); log2 and exp2 are the GPU's native transcendental pair.
struct PowOne {
  __device__ float value(float z) const { return z; }
  __device__ void both(float z, float& zp, float& zpm1) const { zp = z, zpm1 = 1.0f; }
};
struct PowThree {
  __device__ float value(float z) const { return z * z * z; }
  __device__ void both(float z, float& zp, float& zpm1) const { zpm1 = z * z, zp = zpm1 * z; }
};
struct PowAny {
  float p;
  __device__ float value(float z) const { return exp2f(p * log2f(z)); }
  __device__ void both(float z, float& zp, float& zpm1) const { zp = value(z), zpm1 = __fdividef(zp, z); }
};

// 16 bytes of T: the unit of a vector load.
template <typename T>
struct Pack {
  static constexpr int kCount = 16 / sizeof(T);
  T v[kCount];
};

template <typename T>
__device__ __forceinline__ Pack<T> load_pack(const T* p) {
  const uint4 raw = *reinterpret_cast<const uint4*>(p);
  Pack<T> pack;
  memcpy(pack.v, &raw, 16);
  return pack;
}

template <typename T>
__device__ __forceinline__ void store_pack(T* p, const Pack<T>& pack) {
  uint4 raw;
  memcpy(&raw, pack.v, 16);
  *reinterpret_cast<uint4*>(p) = raw;
}

// Sum of a float over the G lanes of a group (lanes g*G .. g*G+G-1 of the warp).
template <int G>
__device__ __forceinline__ float group_sum(float v) {
#pragma unroll
  for (int offset = G / 2; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// Each warp walks its rows in steps of 32/G; all lanes stay in the loop so the shuffles
// always see the full warp.
template <int G, class Body>
__device__ __forceinline__ void for_each_row(int64_t rows, Body&& body) {
  constexpr int kRowsPerWarp = 32 / G;
  const int lane = threadIdx.x & 31;
  const int64_t warp = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5;
  const int64_t warps = (static_cast<int64_t>(gridDim.x) * blockDim.x) >> 5;
  for (int64_t base = warp * kRowsPerWarp; base < rows; base += warps * kRowsPerWarp) {
    const int64_t row = base + lane / G;
    body(row, row < rows, lane % G);
  }
}

template <typename T, int G, class Pow>
__global__ void __launch_bounds__(256) gem_forward_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows,
                                                          int64_t hw, float eps, float inv_p, bool p_is_one,
                                                          bool vectorized, Pow pw) {
  for_each_row<G>(rows, [&](int64_t row, bool active, int sub) {
    float acc = 0.0f;
    if (active) {
      const T* r = x + row * hw;
      if (vectorized) {
        constexpr int K = Pack<T>::kCount;
        const int64_t packs = hw / K;
#pragma unroll 4
        for (int64_t i = sub; i < packs; i += G) {
          const Pack<T> pack = load_pack(r + i * K);
#pragma unroll
          for (int k = 0; k < K; ++k) acc += pw.value(clamp_eps(to_float(pack.v[k]), eps));
        }
      } else {
#pragma unroll 4
        for (int64_t i = sub; i < hw; i += G) acc += pw.value(clamp_eps(to_float(r[i]), eps));
      }
    }
    acc = group_sum<G>(acc);
    if (active && sub == 0) {
      const float mean = acc / static_cast<float>(hw);
      y[row] = from_float<T>(p_is_one ? mean : exp2f(log2f(mean) * inv_p));
    }
  });
}

// Per row: coef = g*y/S with S = hw*y^p; dL/dx = coef * z^(p-1) where x >= eps; with kGradP
// also dL/dp of the row = g*(y/p)*(S2/S - ln y), S2 = sum of z^p ln z.
template <typename T, int G, class Pow, bool kGradP>
__global__ void __launch_bounds__(256) gem_backward_kernel(const T* __restrict__ x, const T* __restrict__ y,
                                                           const T* __restrict__ grad_y, T* __restrict__ grad_x,
                                                           float* __restrict__ grad_p_rows, int64_t rows, int64_t hw,
                                                           float p, float eps, bool vectorized, Pow pw) {
  for_each_row<G>(rows, [&](int64_t row, bool active, int sub) {
    float s2 = 0.0f, s = 1.0f, yv = 1.0f, g = 0.0f;
    if (active) {
      yv = to_float(y[row]);
      g = to_float(grad_y[row]);
      s = static_cast<float>(hw) * exp2f(p * log2f(yv));
      const float coef = g * yv / s;
      const T* xr = x + row * hw;
      T* gr = grad_x == nullptr ? nullptr : grad_x + row * hw;
      auto element = [&](float xv) {
        const float z = clamp_eps(xv, eps);
        float zp, zpm1;
        pw.both(z, zp, zpm1);
        if (kGradP) s2 += zp * (log2f(z) * kLn2);
        return xv >= eps ? coef * zpm1 : 0.0f;
      };
      if (vectorized) {
        constexpr int K = Pack<T>::kCount;
        const int64_t packs = hw / K;
#pragma unroll 2
        for (int64_t i = sub; i < packs; i += G) {
          const Pack<T> in = load_pack(xr + i * K);
          Pack<T> out;
#pragma unroll
          for (int k = 0; k < K; ++k) out.v[k] = from_float<T>(element(to_float(in.v[k])));
          if (gr != nullptr) store_pack(gr + i * K, out);
        }
      } else {
#pragma unroll 2
        for (int64_t i = sub; i < hw; i += G) {
          const T out = from_float<T>(element(to_float(xr[i])));
          if (gr != nullptr) gr[i] = out;
        }
      }
    }
    if (kGradP) {
      s2 = group_sum<G>(s2);
      if (active && sub == 0) grad_p_rows[row] = g * (yv / p) * (s2 / s - log2f(yv) * kLn2);
    }
  });
}

// Lanes per row: about two loads per lane, at least 4 lanes, at most a warp.
int lanes_per_row(int64_t loads_per_row) {
  int g = 4;
  while (g < 32 && 2 * g < loads_per_row) g *= 2;
  return g;
}

bool aligned16(const void* p) { return p == nullptr || reinterpret_cast<uintptr_t>(p) % 16 == 0; }

dim3 grid_for(int64_t rows, int g) {
  const int64_t rows_per_block = (256 / 32) * (32 / g);
  const int64_t blocks = (rows + rows_per_block - 1) / rows_per_block;
  return dim3(static_cast<unsigned>(blocks < (1 << 24) ? blocks : (1 << 24)));
}

// Calls fn(std::integral_constant<int, G>) for the chosen G.
template <class Fn>
void with_lanes(int g, Fn&& fn) {
  switch (g) {
    case 4: fn(std::integral_constant<int, 4>{}); break;
    case 8: fn(std::integral_constant<int, 8>{}); break;
    case 16: fn(std::integral_constant<int, 16>{}); break;
    default: fn(std::integral_constant<int, 32>{}); break;
  }
}

template <class Fn>
void with_power(float p, Fn&& fn) {
  if (p == 1.0f) {
    fn(PowOne{});
  } else if (p == 3.0f) {
    fn(PowThree{});
  } else {
    fn(PowAny{p});
  }
}

template <typename T>
void forward(const isc_gem_forward_args& a, cudaStream_t stream) {
  const auto* x = static_cast<const T*>(a.x);
  auto* y = static_cast<T*>(a.y);
  constexpr int K = 16 / sizeof(T);
  const bool vectorized = a.hw % K == 0 && aligned16(x);
  const int g = lanes_per_row(vectorized ? a.hw / K : a.hw);
  const dim3 grid = grid_for(a.rows, g);
  with_power(a.p, [&](auto pw) {
    with_lanes(g, [&](auto lanes) {
      gem_forward_kernel<T, decltype(lanes)::value><<<grid, 256, 0, stream>>>(x, y, a.rows, a.hw, a.eps, 1.0f / a.p, a.p == 1.0f,
                                                         vectorized, pw);
    });
  });
  check(cudaGetLastError(), "gem_forward_kernel launch");
}

template <typename T>
void backward(const isc_gem_backward_args& a, cudaStream_t stream) {
  const auto* x = static_cast<const T*>(a.x);
  const auto* y = static_cast<const T*>(a.y);
  const auto* gy = static_cast<const T*>(a.grad_y);
  auto* gx = static_cast<T*>(a.grad_x);
  constexpr int K = 16 / sizeof(T);
  const bool vectorized = a.hw % K == 0 && aligned16(x) && aligned16(gx);
  const int g = lanes_per_row(vectorized ? a.hw / K : a.hw);
  const dim3 grid = grid_for(a.rows, g);
  with_power(a.p, [&](auto pw) {
    with_lanes(g, [&](auto lanes) {
      constexpr int G = decltype(lanes)::value;
      if (a.grad_p_rows != nullptr) {
        gem_backward_kernel<T, G, decltype(pw), true><<<grid, 256, 0, stream>>>(
            x, y, gy, gx, a.grad_p_rows, a.rows, a.hw, a.p, a.eps, vectorized, pw);
      } else {
        gem_backward_kernel<T, G, decltype(pw), false><<<grid, 256, 0, stream>>>(
            x, y, gy, gx, nullptr, a.rows, a.hw, a.p, a.eps, vectorized, pw);
      }
    });
  });
  check(cudaGetLastError(), "gem_backward_kernel launch");
}

// All pointers must be device memory of one device; returns it.
int common_device(std::initializer_list<std::pair<const void*, const char*>> pointers) {
  int device = -1;
  const char* first = nullptr;
  for (const auto& [ptr, name] : pointers) {
    if (ptr == nullptr) continue;
    const int d = device_of(ptr, name);
    if (device < 0) {
      device = d, first = name;
    } else if (d != device) {
      fail(ISC_INVALID_ARGUMENT, "%s is on device %d but %s is on device %d", name, d, first, device);
    }
  }
  return device;
}

template <class Fn>
void by_dtype(int32_t dtype, Fn&& fn) {
  switch (dtype) {
    case ISC_FLOAT32: fn(float{}); break;
    case ISC_FLOAT16: fn(__half{}); break;
    case ISC_BFLOAT16: fn(__nv_bfloat16{}); break;
    default: fail(ISC_INVALID_ARGUMENT, "unknown dtype code %d", dtype);
  }
}

}  // namespace
}  // namespace isc::cuda

extern "C" {

int32_t isc_cuda_gem_forward(const isc_gem_forward_args* a, isc_status* status) {
  return isc::guarded(status, "isc_cuda_gem_forward", [&] {
    isc::check_gem_forward(a);
    const int device = isc::cuda::common_device({{a->x, "x"}, {a->y, "y"}});
    isc::cuda::DeviceGuard guard(device);
    isc::cuda::by_dtype(a->dtype, [&](auto tag) {
      isc::cuda::forward<decltype(tag)>(*a, static_cast<cudaStream_t>(a->stream));
    });
  });
}

int32_t isc_cuda_gem_backward(const isc_gem_backward_args* a, isc_status* status) {
  return isc::guarded(status, "isc_cuda_gem_backward", [&] {
    isc::check_gem_backward(a);
    const int device = isc::cuda::common_device({{a->x, "x"},
                                                 {a->y, "y"},
                                                 {a->grad_y, "grad_y"},
                                                 {a->grad_x, "grad_x"},
                                                 {a->grad_p_rows, "grad_p_rows"}});
    isc::cuda::DeviceGuard guard(device);
    isc::cuda::by_dtype(a->dtype, [&](auto tag) {
      isc::cuda::backward<decltype(tag)>(*a, static_cast<cudaStream_t>(a->stream));
    });
  });
}

}  // extern "C"
