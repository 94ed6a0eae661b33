// CUDA GeM pooling. A group of G lanes (G a power of two <= 32) owns one row of hw elements;
// a warp covers 32/G consecutive rows, so every load instruction reads contiguous memory. The
// forward pass reads the whole tensor as one stream of aligned 16-byte vectors, whatever the
// row size (rows are contiguous); the backward pass uses vectors where a row is a whole number
// of them. Sums are fp32 for every storage type.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
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

// lg2.approx, one MUFU op where log2f is about 30 instructions: error 2^-22.6 absolute on
// [0.5, 2], else 2 ulp (log2f: 1 ulp). ftz changes nothing here: inputs are clamped to eps,
// which the API keeps a normal float.
__device__ __forceinline__ float lg2_approx(float z) {
  float r;
  asm("lg2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(z));
  return r;
}

// z^p and z^(p-1) for the backward pass; fast() is the forward pass's z^p. log2 and exp2 are
// the GPU's native transcendental pair. An error e in log2 z is p*ln2*e in z^p, and the final
// root divides it by p again: y moves by about ln2*e (against float64, no more than log2f's).
struct PowOne {
  __device__ float fast(float z) const { return z; }
  __device__ void both(float z, float& zp, float& zpm1) const { zp = z, zpm1 = 1.0f; }
};
struct PowThree {
  __device__ float fast(float z) const { return z * z * z; }
  __device__ void both(float z, float& zp, float& zpm1) const { zpm1 = z * z, zp = zpm1 * z; }
};
struct PowAny {
  float p;
  __device__ float value(float z) const { return exp2f(p * log2f(z)); }
  // exp2f is ex2.approx without ftz: keeps a z^p just under FLT_MIN from flushing to zero.
  __device__ float fast(float z) const { return exp2f(p * lg2_approx(z)); }
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

// Element k of 16 loaded bytes as a float, taken straight from its 32-bit word: a bf16 is the
// high half of a float (one shift or mask), an fp16 half converts in place; nothing is
// unpacked into registers of its own first.
template <typename T>
__device__ __forceinline__ float element(const uint4& r, int k) {
  const uint32_t w[4] = {r.x, r.y, r.z, r.w};
  if constexpr (std::is_same_v<T, float>) {
    return __uint_as_float(w[k]);
  } else if constexpr (std::is_same_v<T, __half>) {
    const uint32_t x = w[k / 2];
    return __half2float(__ushort_as_half(static_cast<unsigned short>(k % 2 ? x >> 16 : x & 0xffffu)));
  } else {
    const uint32_t x = w[k / 2];
    return __uint_as_float(k % 2 ? x & 0xffff0000u : x << 16);
  }
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

// Each lane issues kLoads 16-byte loads before it uses the first: bytes in flight, more than
// occupancy, keep HBM busy. The register cap (48 or 64: 5 or 4 blocks of 256 per SM) is what
// the loads need without spills; sm_75 holds 4 such blocks at most.
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
constexpr int kBlocksFor4Loads = 4;
#else
constexpr int kBlocksFor4Loads = 5;
#endif
//
// Elements [head, head + packs*K) are read as aligned 16-byte vectors of K elements: the group
// of a row reads every vector that overlaps the row and adds only the row's own elements (a
// vector across a row boundary is read by both groups; the second read is an L1 hit). The few
// elements before head (an unaligned x) and after the last whole vector are read one by one.
// kAligned: x is aligned and rows are whole vectors, so no row has edges or masks.
template <typename T, int G, int kLoads, bool kAligned, class Pow>
__global__ void __launch_bounds__(256, kLoads > 4 ? 4 : kBlocksFor4Loads)
    gem_forward_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows, int64_t hw, int64_t head,
                       int64_t packs, float eps, float inv_p, bool p_is_one, Pow pw) {
  constexpr int K = Pack<T>::kCount;
  for_each_row<G>(rows, [&](int64_t row, bool active, int sub) {
    float acc = 0.0f;
    // count vectors from v; add(pack, q) adds the row's elements of vector q.
    auto sweep = [&](const T* v, int count, auto&& add) {
      for (int q = sub; q < count; q += kLoads * G) {
        uint4 buf[kLoads];
#pragma unroll
        for (int u = 0; u < kLoads; ++u) {
          if (q + u * G < count) buf[u] = *reinterpret_cast<const uint4*>(v + (q + u * G) * K);
        }
#pragma unroll
        for (int u = 0; u < kLoads; ++u) {
          if (q + u * G < count) add(buf[u], q + u * G);
        }
      }
    };
    if (!active) {
    } else if constexpr (kAligned) {
      sweep(x + row * hw, static_cast<int>(hw / K), [&](const uint4& pack, int) {
#pragma unroll
        for (int k = 0; k < K; ++k) acc += pw.fast(clamp_eps(element<T>(pack, k), eps));
      });
    } else {
      const int64_t lo = row * hw, hi = lo + hw, vec_end = head + packs * K;
      // Fewer than K elements at each end of the tensor, unless x has no vector stream at all.
      auto scalars = [&](int64_t from, int64_t to) {
#pragma unroll 1
        for (int64_t i = from + sub; i < to; i += G) acc += pw.fast(clamp_eps(to_float(x[i]), eps));
      };
      scalars(lo, hi < head ? hi : head);
      const int64_t vlo = lo > head ? lo : head, vhi = hi < vec_end ? hi : vec_end;
      if (vlo < vhi) {
        // 32-bit offsets within the row (the host keeps hw + 16 below 2^31 on this path).
        const int64_t first = (vlo - head) / K;
        const int at0 = static_cast<int>(head + first * K - lo);  // row offset of vector 0
        const int n = static_cast<int>(hw);
        // Vector q holds row offsets at0 + q*K ...; its bits skip..keep-1 are in the row.
        sweep(x + head + first * K, static_cast<int>((vhi - head - 1) / K - first) + 1,
              [&](const uint4& pack, int q) {
                const int at = at0 + q * K;
                const int skip = at < 0 ? -at : 0;
                const int keep = n - at < K ? n - at : K;
                const unsigned mask = (1u << keep) - (1u << skip);
#pragma unroll
                for (int k = 0; k < K; ++k) {
                  const float e = pw.fast(clamp_eps(element<T>(pack, k), eps));
                  acc += (mask >> k & 1u) ? e : 0.0f;  // a select: another row's NaN never enters
                }
              });
      }
      scalars(lo > vec_end ? lo : vec_end, hi);
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

// Lanes per row: about `per_lane` loads per lane, at least 4 lanes, at most a warp.
int lanes_per_row(int64_t loads_per_row, int per_lane = 2) {
  int g = 4;
  while (g < 32 && per_lane * g < loads_per_row) g *= 2;
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
void forward(const isc_gem_forward_args& a, cudaStream_t stream, int device) {
  const auto* x = static_cast<const T*>(a.x);
  auto* y = static_cast<T*>(a.y);
  constexpr int K = 16 / sizeof(T);
  // The vector stream starts at the first 16-byte boundary; an x not aligned to its own type
  // (or a row too long for 32-bit offsets) has none, and is read element by element.
  const int64_t numel = a.rows * a.hw;
  const auto address = reinterpret_cast<uintptr_t>(x);
  int64_t head = 0, packs = 0;
  if (address % sizeof(T) == 0 && a.hw <= INT32_MAX - 16) {
    head = std::min<int64_t>(static_cast<int64_t>((16 - address % 16) % 16 / sizeof(T)), numel);
    packs = (numel - head) / K;
  }
  const bool aligned = packs > 0 && head == 0 && a.hw % K == 0;
  // Vectors per row: one more where rows do not start on a vector boundary.
  const int64_t loads = packs > 0 ? (a.hw + K - 1) / K + (a.hw % K != 0 || head != 0) : a.hw;
  // 8 loads per lane from 512 KB per SM up; below that, fewer, shorter lanes fill the last wave.
  const bool large = static_cast<double>(numel) * sizeof(T) >= 512.0 * 1024 * multiprocessors(device);
  const int g = lanes_per_row(loads, large ? 8 : 4);
  const dim3 grid = grid_for(a.rows, g);
  with_power(a.p, [&](auto pw) {
    with_lanes(g, [&](auto lanes) {
      constexpr int G = decltype(lanes)::value;
      auto launch = [&](auto kernel) {
        kernel<<<grid, 256, 0, stream>>>(x, y, a.rows, a.hw, head, packs, a.eps, 1.0f / a.p, a.p == 1.0f, pw);
      };
      using P = decltype(pw);
      if (large && aligned) {
        launch(gem_forward_kernel<T, G, 8, true, P>);
      } else if (large) {
        launch(gem_forward_kernel<T, G, 8, false, P>);
      } else if (aligned) {
        launch(gem_forward_kernel<T, G, 4, true, P>);
      } else {
        launch(gem_forward_kernel<T, G, 4, false, P>);
      }
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
      isc::cuda::forward<decltype(tag)>(*a, static_cast<cudaStream_t>(a->stream), device);
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
