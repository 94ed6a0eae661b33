// GeM pooling: every dtype, several p and odd shapes checked against libisc_cpu, then the
// benchmark shapes timed.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <random>

#include "harness.hpp"
#include "isc/gem.h"

namespace harness {
namespace {

struct Shape {
  int64_t n, c, h, w;
  int64_t rows() const { return n * c; }
  int64_t hw() const { return h * w; }
  std::string str() const {
    return std::to_string(n) + "x" + std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
  }
};

// Host-side conversions between float and the storage types.
template <typename T>
T to_storage(float v);
template <>
float to_storage<float>(float v) { return v; }
template <>
__half to_storage<__half>(float v) { return __float2half_rn(v); }
template <>
__nv_bfloat16 to_storage<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

inline float to_float(float v) { return v; }
inline float to_float(__half v) { return __half2float(v); }
inline float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T>
struct Dtype;
template <>
struct Dtype<float> {
  static constexpr int32_t code = ISC_FLOAT32;
  static constexpr const char* name = "fp32";
  static constexpr double forward_tol = 1e-5, grad_tol = 1e-5, grad_p_tol = 1e-4;
  static constexpr double min_normal = 1.1754943508222875e-38;
};
template <>
struct Dtype<__half> {
  static constexpr int32_t code = ISC_FLOAT16;
  static constexpr const char* name = "fp16";
  static constexpr double forward_tol = 1.5e-3, grad_tol = 3e-3, grad_p_tol = 3e-3;
  static constexpr double min_normal = 6.103515625e-05;  // below it fp16 keeps fewer digits
};
template <>
struct Dtype<__nv_bfloat16> {
  static constexpr int32_t code = ISC_BFLOAT16;
  static constexpr const char* name = "bf16";
  static constexpr double forward_tol = 1e-2, grad_tol = 2e-2, grad_p_tol = 2e-2;
  static constexpr double min_normal = 1.1754943508222875e-38;
};

constexpr float kEps = 1e-6f;

template <typename T>
std::vector<T> random_storage(size_t count, float lo, float hi, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<T> v(count);
  for (auto& e : v) e = to_storage<T>(dist(rng));
  return v;
}

template <typename T>
std::vector<float> widen(const std::vector<T>& v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = to_float(v[i]);
  return out;
}

// Largest relative error; values under `floor` (the storage type's smallest normal number,
// where it keeps fewer digits) are compared relative to the floor.
double max_relative(const std::vector<float>& got, const std::vector<float>& want, double floor) {
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double e = std::fabs(double(got[i]) - want[i]) / std::max(std::fabs(double(want[i])), floor);
    if (!(e <= worst)) worst = e;
  }
  return worst;
}

// |got - want| / max(|want|, |scale|): `scale` holds the size of terms that cancel in `want`
// (dL/dp of a 1x1 map is exactly 0, a difference of two equal logarithms), empty for none.
double norm_relative(const std::vector<float>& got, const std::vector<float>& want,
                     const std::vector<double>& scale = {}) {
  double diff = 0, ref = 0, terms = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    diff += (double(got[i]) - want[i]) * (double(got[i]) - want[i]);
    ref += double(want[i]) * want[i];
    if (!scale.empty()) terms += scale[i] * scale[i];
  }
  const double e = std::sqrt(diff) / std::max({std::sqrt(ref), std::sqrt(terms), 1e-30});
  return std::isfinite(e) ? e : 1e30;
}

// offset > 0: x and grad_x start that many elements past a 256-byte aligned allocation, so
// the kernels see a base address that is not a multiple of 16 bytes.
template <typename T>
void check_case(const Shape& s, float p, std::mt19937& rng, std::vector<Record>& records, size_t offset = 0) {
  const size_t rows = s.rows(), numel = rows * s.hw();
  isc_status status{};
  const auto x = random_storage<T>(numel, -0.5f, 3.0f, rng);
  const auto gy = random_storage<T>(rows, -1.0f, 1.0f, rng);
  DeviceBuffer<T> dx_alloc(numel + offset), dy(rows), dgy(rows), dgx_alloc(numel + offset);
  T* const dx = dx_alloc.ptr + offset;
  T* const dgx = dgx_alloc.ptr + offset;
  DeviceBuffer<float> dgp(rows);
  upload(dx, x);
  upload(dgy.ptr, gy);

  isc_gem_forward_args f{dx, dy.ptr, s.rows(), s.hw(), Dtype<T>::code, p, kEps, nullptr};
  isc_ok(isc_cuda_gem_forward(&f, &status), status);
  isc_gem_backward_args b{dx, dy.ptr, dgy.ptr, dgx, dgp.ptr, s.rows(), s.hw(), Dtype<T>::code, p, kEps, nullptr};
  isc_ok(isc_cuda_gem_backward(&b, &status), status);
  cuda_ok(cudaDeviceSynchronize(), "GeM kernels");
  const auto y = widen(download(dy.ptr, rows));
  const auto gx = widen(download(dgx, numel));
  const auto gp = download(dgp.ptr, rows);

  // The CPU library on the same (rounded) values; its backward takes the GPU's y, as the GPU's did.
  const auto xf = widen(x), gyf = widen(gy);
  std::vector<float> y_ref(rows), gx_ref(numel), gp_ref(rows);
  isc_gem_forward_args cf{xf.data(), y_ref.data(), s.rows(), s.hw(), ISC_FLOAT32, p, kEps, nullptr};
  isc_ok(isc_cpu_gem_forward(&cf, &status), status);
  isc_gem_backward_args cb{xf.data(), y.data(), gyf.data(), gx_ref.data(), gp_ref.data(), s.rows(), s.hw(),
                           ISC_FLOAT32, p, kEps, nullptr};
  isc_ok(isc_cpu_gem_backward(&cb, &status), status);

  auto add = [&](const char* kernel, double error, double tolerance) {
    Record r;
    r.kernel = kernel, r.variant = std::string(Dtype<T>::name) + (offset ? "+" + std::to_string(offset) : "");
    r.shape = s.str(), r.p = p;
    r.error = error, r.tolerance = tolerance;
    records.push_back(r);
  };
  // dL/dp of a row is g (y/p) (S2/S - ln y): the two terms are each about |g y/p| (1 + |ln y|).
  std::vector<double> gp_terms(rows);
  for (size_t r = 0; r < rows; ++r) gp_terms[r] = std::fabs(gyf[r] * y[r] / p) * (1.0 + std::fabs(std::log(y[r])));
  add("gem_forward", max_relative(y, y_ref, Dtype<T>::min_normal), Dtype<T>::forward_tol);
  add("gem_backward_x", norm_relative(gx, gx_ref), Dtype<T>::grad_tol);
  add("gem_backward_p", norm_relative(gp, gp_ref, gp_terms), Dtype<T>::grad_p_tol);
}

template <typename T>
void time_case(const Shape& s, float p, const Options& options, const Device& device, std::vector<Record>& records) {
  const size_t rows = s.rows(), numel = rows * s.hw();
  std::mt19937 rng(7);
  const double x_bytes = double(numel) * sizeof(T);
  const int copies = rotation(device, x_bytes);
  // Rotating inputs (and gradient outputs) keeps every launch reading from DRAM.
  DeviceBuffer<T> dx(numel * copies), dgx(numel * copies), dy(rows), dgy(rows);
  DeviceBuffer<float> dgp(rows);
  const auto x = random_storage<T>(numel, -0.5f, 3.0f, rng);
  for (int c = 0; c < copies; ++c) upload(dx.ptr + c * numel, x);
  upload(dgy.ptr, random_storage<T>(rows, -1.0f, 1.0f, rng));
  isc_status status{};

  Record r;
  r.variant = Dtype<T>::name, r.shape = s.str(), r.p = p;
  r.kernel = "gem_forward";
  r.bytes = x_bytes + rows * sizeof(T);
  r.median_us = median_launch_us(
      [&](long i) {
        isc_gem_forward_args f{dx.ptr + (i % copies) * numel, dy.ptr, s.rows(), s.hw(), Dtype<T>::code, p, kEps, nullptr};
        isc_ok(isc_cuda_gem_forward(&f, &status), status);
      },
      options, 0);
  records.push_back(r);
  progress(r);

  for (bool with_p : {false, true}) {
    r.kernel = with_p ? "gem_backward_x_p" : "gem_backward_x";
    r.bytes = 2 * x_bytes + 2 * rows * sizeof(T) + (with_p ? rows * 4.0 : 0.0);
    r.median_us = median_launch_us(
        [&](long i) {
          isc_gem_backward_args b{dx.ptr + (i % copies) * numel, dy.ptr, dgy.ptr, dgx.ptr + (i % copies) * numel,
                                  with_p ? dgp.ptr : nullptr, s.rows(), s.hw(), Dtype<T>::code, p, kEps, nullptr};
          isc_ok(isc_cuda_gem_backward(&b, &status), status);
        },
        options, 0);
    records.push_back(r);
    progress(r);
  }
}

template <class Fn>
void for_each_dtype(Fn&& fn) {
  fn(float{});
  fn(__half{});
  fn(__nv_bfloat16{});
}

}  // namespace

void run_gem(const Options& options, const Device& device, std::vector<Record>& records) {
  if (options.check) {
    // Odd sizes, rows of 1, 7, 12 (vector loads for fp32 only), 49, 64, 143 and 4096 elements.
    const Shape shapes[] = {{2, 3, 5, 7}, {7, 33, 3, 3}, {1, 1, 1, 1}, {5, 17, 13, 11}, {3, 64, 16, 16},
                            {4, 40, 8, 8}, {2, 5, 1, 1}, {3, 9, 7, 7},   {2, 3, 64, 64},  {6, 10, 3, 4}};
    std::mt19937 rng(2021);
    for (const Shape& s : shapes) {
      for (float p : {1.0f, 3.0f, 2.5f, 6.0f}) {
        for_each_dtype([&](auto tag) { check_case<decltype(tag)>(s, p, rng, records); });
      }
    }
    // The same shapes from a base address 1 or 3 elements past a 16-byte boundary (variant
    // "fp16+3": scalar head, vectors from the first boundary, scalar tail).
    for (const Shape& s : shapes) {
      for (size_t offset : {1, 3}) {
        for (float p : {3.0f, 2.5f}) {
          for_each_dtype([&](auto tag) { check_case<decltype(tag)>(s, p, rng, records, offset); });
        }
      }
    }
  }
  if (options.bench) {
    // ResNet-18 at 512 px and ResNet-50 at 224 px, batch 64 and 32 (ANCHORS' shape), and
    // ResNet-50 at 448 px, batch 128: large enough that launch overhead is negligible.
    for (const Shape& s : {Shape{64, 512, 16, 16}, Shape{32, 2048, 7, 7}, Shape{128, 2048, 14, 14}}) {
      for (float p : {1.0f, 3.0f, 2.5f}) {
        for_each_dtype([&](auto tag) { time_case<decltype(tag)>(s, p, options, device, records); });
      }
    }
  }
}

}  // namespace harness
