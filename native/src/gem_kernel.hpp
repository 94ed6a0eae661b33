// GeM pooling rows, written once over a vector type V (simd_avx2.hpp or simd_generic.hpp) and
// compiled once per instruction set. Everything here is a template of V, so each instruction
// set's code has its own symbols.
#pragma once

#include <cstdint>

namespace isc::cpu {

// Row-range kernels of one instruction set.
struct GemRowKernels {
  void (*forward)(const float* x, float* y, int64_t row_begin, int64_t row_end, int64_t hw, float p,
                  float eps);
  void (*backward)(const float* x, const float* y, const float* grad_y, float* grad_x, float* grad_p_rows,
                   int64_t row_begin, int64_t row_end, int64_t hw, float p, float eps);
};

namespace gem {

// z^p and z^(p-1), by multiplication where p is a small integer, else exp(p*log z).
template <class V>
struct PowOne {
  V value(V z) const { return z; }
  void both(V z, V& zp, V& zpm1) const { zp = z, zpm1 = V::set1(1.0f); }
  void both_and_log(V z, V& zp, V& zpm1, V& lz) const { both(z, zp, zpm1), lz = log(z); }
};

template <class V>
struct PowTwo {
  V value(V z) const { return z * z; }
  void both(V z, V& zp, V& zpm1) const { zp = z * z, zpm1 = z; }
  void both_and_log(V z, V& zp, V& zpm1, V& lz) const { both(z, zp, zpm1), lz = log(z); }
};

template <class V>
struct PowThree {
  V value(V z) const { return z * z * z; }
  void both(V z, V& zp, V& zpm1) const { zpm1 = z * z, zp = zpm1 * z; }
  void both_and_log(V z, V& zp, V& zpm1, V& lz) const { both(z, zp, zpm1), lz = log(z); }
};

template <class V>
struct PowFour {
  V value(V z) const {
    V z2 = z * z;
    return z2 * z2;
  }
  void both(V z, V& zp, V& zpm1) const { zpm1 = z * z * z, zp = zpm1 * z; }
  void both_and_log(V z, V& zp, V& zpm1, V& lz) const { both(z, zp, zpm1), lz = log(z); }
};

template <class V>
struct PowAny {
  V p;
  V value(V z) const { return exp(p * log(z)); }
  void both(V z, V& zp, V& zpm1) const { zp = value(z), zpm1 = zp / z; }
  void both_and_log(V z, V& zp, V& zpm1, V& lz) const { lz = log(z), zp = exp(p * lz), zpm1 = zp / z; }
};

// Sum over one row of max(x, eps)^p. Four accumulators hide the add latency.
template <class V, class Pow>
float row_power_sum(const float* x, int64_t hw, V eps, const Pow& pw) {
  constexpr int W = V::kWidth;
  V a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
  int64_t i = 0;
  for (; i + 4 * W <= hw; i += 4 * W) {
    a0 = a0 + pw.value(max(eps, V::load(x + i)));
    a1 = a1 + pw.value(max(eps, V::load(x + i + W)));
    a2 = a2 + pw.value(max(eps, V::load(x + i + 2 * W)));
    a3 = a3 + pw.value(max(eps, V::load(x + i + 3 * W)));
  }
  for (; i + W <= hw; i += W) a0 = a0 + pw.value(max(eps, V::load(x + i)));
  if (i < hw) {
    const int rest = static_cast<int>(hw - i);
    a1 = a1 + select(V::first_lanes(rest), pw.value(max(eps, V::load_partial(x + i, rest))));
  }
  return ((a0 + a1) + (a2 + a3)).sum();
}

template <class V, class Pow>
void forward_rows(const float* x, float* y, int64_t r0, int64_t r1, int64_t hw, float p, float eps,
                  const Pow& pw) {
  constexpr int W = V::kWidth;
  const V veps = V::set1(eps);
  const V count = V::set1(static_cast<float>(hw));
  const V inv_p = V::set1(1.0f / p);
  float sums[W];
  // W rows at a time, so the final m^(1/p) is one vector exp/log per W rows.
  for (int64_t r = r0; r < r1; r += W) {
    const int block = r1 - r < W ? static_cast<int>(r1 - r) : W;
    for (int k = 0; k < block; ++k) sums[k] = row_power_sum(x + (r + k) * hw, hw, veps, pw);
    const V mean = V::load_partial(sums, block) / count;
    const V out = p == 1.0f ? mean : exp(log(mean) * inv_p);
    out.store_partial(y + r, block);
  }
}

// One row's gradients. coef = g*y/S scales dL/dx; S = hw*y^p is the row's power sum, recovered
// from y; with grad_p, also returns S2 = sum of z^p*log(z) for dy/dp.
template <class V, class Pow, bool kGradX, bool kGradP>
float backward_row(const float* x, float* gx, int64_t hw, V eps, V coef, const Pow& pw) {
  constexpr int W = V::kWidth;
  V s2 = V::zero();
  int64_t i = 0;
  auto step = [&](V xv, V lanes) {
    const V z = max(eps, xv);
    V zp, zpm1, lz;
    if (kGradP) {
      pw.both_and_log(z, zp, zpm1, lz);
      s2 = s2 + select(lanes, zp * lz);
    } else {
      pw.both(z, zp, zpm1);
    }
    return select(ge_mask(xv, eps), coef * zpm1);
  };
  const V all = V::first_lanes(W);
  for (; i + W <= hw; i += W) {
    const V dx = step(V::load(x + i), all);
    if (kGradX) dx.store(gx + i);
  }
  if (i < hw) {
    const int rest = static_cast<int>(hw - i);
    const V dx = step(V::load_partial(x + i, rest), V::first_lanes(rest));
    if (kGradX) dx.store_partial(gx + i, rest);
  }
  return s2.sum();
}

template <class V, class Pow, bool kGradX, bool kGradP>
void backward_rows_with(const float* x, const float* y, const float* gy, float* gx, float* gp, int64_t r0,
                        int64_t r1, int64_t hw, float p, float eps, const Pow& pw) {
  constexpr int W = V::kWidth;
  const V veps = V::set1(eps);
  const V count = V::set1(static_cast<float>(hw));
  const V vp = V::set1(p);
  float coef[W], scale_p[W], power_sum[W], log_y[W];
  for (int64_t r = r0; r < r1; r += W) {
    const int block = r1 - r < W ? static_cast<int>(r1 - r) : W;
    // Unused lanes get y = g = 1 so the vector math below stays finite.
    float yb[W], gb[W];
    for (int k = 0; k < W; ++k) yb[k] = k < block ? y[r + k] : 1.0f, gb[k] = k < block ? gy[r + k] : 1.0f;
    const V yv = V::load(yb), g = V::load(gb);
    const V ly = log(yv);
    const V s = count * exp(vp * ly);  // S = hw * y^p
    (g * yv / s).store(coef);
    (g * yv / vp).store(scale_p);
    s.store(power_sum);
    ly.store(log_y);
    for (int k = 0; k < block; ++k) {
      const int64_t row = r + k;
      const float s2 = backward_row<V, Pow, kGradX, kGradP>(x + row * hw, gx + (kGradX ? row * hw : 0), hw,
                                                             veps, V::set1(coef[k]), pw);
      // dy/dp = (y/p) * (S2/S - log y)
      if (kGradP) gp[row] = scale_p[k] * (s2 / power_sum[k] - log_y[k]);
    }
  }
}

template <class V, class Pow>
void backward_rows(const float* x, const float* y, const float* gy, float* gx, float* gp, int64_t r0,
                   int64_t r1, int64_t hw, float p, float eps, const Pow& pw) {
  if (gx != nullptr && gp != nullptr) {
    backward_rows_with<V, Pow, true, true>(x, y, gy, gx, gp, r0, r1, hw, p, eps, pw);
  } else if (gx != nullptr) {
    backward_rows_with<V, Pow, true, false>(x, y, gy, gx, gp, r0, r1, hw, p, eps, pw);
  } else {
    backward_rows_with<V, Pow, false, true>(x, y, gy, gx, gp, r0, r1, hw, p, eps, pw);
  }
}

// Picks the cheapest form of z^p for this p.
template <class V, class Fn>
void with_power(float p, Fn&& fn) {
  if (p == 1.0f) {
    fn(PowOne<V>{});
  } else if (p == 2.0f) {
    fn(PowTwo<V>{});
  } else if (p == 3.0f) {
    fn(PowThree<V>{});
  } else if (p == 4.0f) {
    fn(PowFour<V>{});
  } else {
    fn(PowAny<V>{V::set1(p)});
  }
}

template <class V>
void forward(const float* x, float* y, int64_t r0, int64_t r1, int64_t hw, float p, float eps) {
  with_power<V>(p, [&](const auto& pw) { forward_rows<V>(x, y, r0, r1, hw, p, eps, pw); });
}

template <class V>
void backward(const float* x, const float* y, const float* gy, float* gx, float* gp, int64_t r0, int64_t r1,
              int64_t hw, float p, float eps) {
  with_power<V>(p, [&](const auto& pw) { backward_rows<V>(x, y, gy, gx, gp, r0, r1, hw, p, eps, pw); });
}

}  // namespace gem

template <class V>
constexpr GemRowKernels gem_row_kernels() {
  return {&gem::forward<V>, &gem::backward<V>};
}

}  // namespace isc::cpu
