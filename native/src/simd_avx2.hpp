// 8-lane float vector on AVX2 + FMA. Included only by translation units compiled with
// -mavx2 -mfma; everything here is inline and lives in its own namespace, so no symbol built
// with these instructions can be picked by the portable code.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace isc::cpu::avx2 {

struct Vec {
  static constexpr int kWidth = 8;
  __m256 v;

  static Vec set1(float a) { return {_mm256_set1_ps(a)}; }
  static Vec zero() { return {_mm256_setzero_ps()}; }
  static Vec load(const float* p) { return {_mm256_loadu_ps(p)}; }
  static Vec load_partial(const float* p, int n) { return {_mm256_maskload_ps(p, lanes_below(n))}; }
  void store(float* p) const { _mm256_storeu_ps(p, v); }
  void store_partial(float* p, int n) const { _mm256_maskstore_ps(p, lanes_below(n), v); }

  // All-ones bits in lanes 0..n-1.
  static __m256i lanes_below(int n) {
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), index);
  }
  static Vec first_lanes(int n) { return {_mm256_castsi256_ps(lanes_below(n))}; }

  friend Vec operator+(Vec a, Vec b) { return {_mm256_add_ps(a.v, b.v)}; }
  friend Vec operator-(Vec a, Vec b) { return {_mm256_sub_ps(a.v, b.v)}; }
  friend Vec operator*(Vec a, Vec b) { return {_mm256_mul_ps(a.v, b.v)}; }
  friend Vec operator/(Vec a, Vec b) { return {_mm256_div_ps(a.v, b.v)}; }
  friend Vec fmadd(Vec a, Vec b, Vec c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
  friend Vec max(Vec a, Vec b) { return {_mm256_max_ps(a.v, b.v)}; }
  // Mask of lanes where a >= b (ordered: false for NaN).
  friend Vec ge_mask(Vec a, Vec b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_GE_OQ)}; }
  // a where mask is set, 0 elsewhere.
  friend Vec select(Vec mask, Vec a) { return {_mm256_and_ps(mask.v, a.v)}; }

  // Bit i set when lane i of a mask is set.
  friend int movemask(Vec mask) { return _mm256_movemask_ps(mask.v); }

  float sum() const {
    __m128 lo = _mm256_castps256_ps128(v);
    __m128 hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 0x55));
    return _mm_cvtss_f32(lo);
  }

  // Natural logarithm of positive normal floats (NaN and +inf pass through): range reduction to
  // a mantissa in [sqrt(1/2), sqrt(2)) and a degree-9 minimax polynomial (Cephes' logf), ~1 ulp.
  friend Vec log(Vec a) {
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256i bits = _mm256_castps_si256(a.v);
    __m256 e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(126)));
    // Mantissa in [0.5, 1).
    __m256 m = _mm256_or_ps(_mm256_and_ps(a.v, _mm256_castsi256_ps(_mm256_set1_epi32(0x807fffff))),
                            _mm256_set1_ps(0.5f));
    const __m256 small = _mm256_cmp_ps(m, _mm256_set1_ps(0.707106781186547524f), _CMP_LT_OQ);
    // m < sqrt(1/2): use 2m - 1 and e - 1, keeping the argument of the polynomial near 0.
    e = _mm256_sub_ps(e, _mm256_and_ps(one, small));
    __m256 x = _mm256_add_ps(_mm256_sub_ps(m, one), _mm256_and_ps(m, small));
    const __m256 z = _mm256_mul_ps(x, x);
    __m256 y = _mm256_set1_ps(7.0376836292e-2f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(-1.1514610310e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.1676998740e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(-1.2420140846e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.4249322787e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(-1.6668057665e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(2.0000714765e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(-2.4999993993e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(3.3333331174e-1f));
    y = _mm256_mul_ps(_mm256_mul_ps(y, x), z);
    // ln2 split in a short high part and a correction, so e*ln2 adds exactly.
    y = _mm256_fmadd_ps(e, _mm256_set1_ps(-2.12194440e-4f), y);
    y = _mm256_fnmadd_ps(z, _mm256_set1_ps(0.5f), y);
    x = _mm256_add_ps(x, y);
    __m256 result = _mm256_fmadd_ps(e, _mm256_set1_ps(0.693359375f), x);
    const __m256 inf = _mm256_set1_ps(__builtin_inff());
    result = _mm256_blendv_ps(result, inf, _mm256_cmp_ps(a.v, inf, _CMP_EQ_OQ));
    return {_mm256_or_ps(result, _mm256_cmp_ps(a.v, a.v, _CMP_UNORD_Q))};
  }

  // e^a: a = n*ln2 + r with |r| <= ln2/2, a degree-6 polynomial for e^r (Cephes' expf), and
  // 2^n put into the exponent bits. Overflow gives +inf and NaN passes through; results below
  // FLT_MIN are not produced (callers keep their arguments above ln(FLT_MIN)).
  friend Vec exp(Vec a) {
    // Constant first: min/max return their second operand for NaN, which keeps NaN.
    __m256 x = _mm256_min_ps(_mm256_set1_ps(88.72283905206835f), a.v);
    x = _mm256_max_ps(_mm256_set1_ps(-87.3365447505531f), x);
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    x = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), x);
    const __m256 z = _mm256_mul_ps(x, x);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, z, _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    // n in [-126, 128]: 2^n as two factors 2^(n/2) and 2^(n - n/2), each a valid float.
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i half_n = _mm256_srai_epi32(ni, 1);
    const __m256 scale_a = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half_n, _mm256_set1_epi32(127)), 23));
    const __m256 scale_b = _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, half_n), _mm256_set1_epi32(127)), 23));
    const __m256 result = _mm256_mul_ps(_mm256_mul_ps(y, scale_a), scale_b);
    const __m256 overflow = _mm256_cmp_ps(a.v, _mm256_set1_ps(88.72283905206835f), _CMP_GT_OQ);
    return {_mm256_blendv_ps(result, _mm256_set1_ps(__builtin_inff()), overflow)};
  }
};

}  // namespace isc::cpu::avx2
