// Checks the AVX2 exp and log against double-precision libm over their whole domain (every
// 61st float), plus their NaN and infinity handling. Exits 77 (skipped) without AVX2 + FMA.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>

#include "simd_avx2.hpp"

namespace {

using isc::cpu::avx2::Vec;

float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

// Error of `got` in units of the float spacing at `want`.
double ulp_error(float got, double want) {
  const double spacing = std::ldexp(1.0, std::ilogb(static_cast<float>(want)) - 23);
  return std::fabs(got - want) / spacing;
}

template <class F, class R>
double max_ulp(uint32_t first, uint32_t last, F vector_fn, R reference) {
  double worst = 0;
  float in[8], out[8];
  for (uint32_t b = first; b <= last; b += 61 * 8) {
    for (int k = 0; k < 8; ++k) in[k] = from_bits(b + 61u * k > last ? last : b + 61u * k);
    vector_fn(Vec::load(in)).store(out);
    for (int k = 0; k < 8; ++k) {
      const double e = ulp_error(out[k], reference(static_cast<double>(in[k])));
      if (!(e <= worst)) worst = e;  // NaN errors count as worst
    }
  }
  return worst;
}

int failures = 0;

void expect(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAIL: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    std::printf("skipped: no AVX2 + FMA on this processor\n");
    return 77;
  }
  // log over all positive normal floats.
  const double log_ulp = max_ulp(0x00800000u, 0x7f7fffffu, [](Vec v) { return log(v); },
                                 [](double x) { return std::log(x); });
  // exp over arguments whose results are normal floats.
  uint32_t lo_bits, hi_bits;
  const float lo = -87.33f, hi = 88.72f;
  std::memcpy(&lo_bits, &lo, 4);
  std::memcpy(&hi_bits, &hi, 4);
  const double exp_ulp_neg = max_ulp(0x80000000u, lo_bits, [](Vec v) { return exp(v); },
                                     [](double x) { return std::exp(x); });
  const double exp_ulp_pos = max_ulp(0u, hi_bits, [](Vec v) { return exp(v); },
                                     [](double x) { return std::exp(x); });
  std::printf("max error: log %.2f ulp, exp %.2f ulp (negative), %.2f ulp (positive)\n", log_ulp, exp_ulp_neg,
              exp_ulp_pos);
  // log's error near 1 is relative to a result near 0, hence the looser bound there.
  expect(log_ulp < 4.0, "log within 4 ulp");
  expect(exp_ulp_neg < 4.0 && exp_ulp_pos < 4.0, "exp within 4 ulp");

  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  float in[8] = {nan, inf, 1.0f, 100.0f, 89.0f, 1e30f, 2.0f, 0.5f}, out[8];
  log(Vec::load(in)).store(out);
  expect(std::isnan(out[0]), "log(NaN) is NaN");
  expect(out[1] == inf, "log(inf) is inf");
  expect(out[2] == 0.0f, "log(1) is 0");
  exp(Vec::load(in)).store(out);
  expect(std::isnan(out[0]), "exp(NaN) is NaN");
  expect(out[1] == inf, "exp(inf) is inf");
  expect(out[4] == inf && out[5] == inf, "exp overflows to inf");
  expect(std::fabs(out[2] - 2.718281828f) < 1e-6f, "exp(1) is e");
  if (failures == 0) std::printf("ok\n");
  return failures == 0 ? 0 : 1;
}
