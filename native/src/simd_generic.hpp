// One-lane "vector" with the same interface as the AVX2 one: the portable fallback.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace isc::cpu::generic {

struct Vec {
  static constexpr int kWidth = 1;
  float v;

  static Vec set1(float a) { return {a}; }
  static Vec zero() { return {0.0f}; }
  static Vec load(const float* p) { return {*p}; }
  static Vec load_partial(const float* p, int n) { return {n > 0 ? *p : 0.0f}; }
  void store(float* p) const { *p = v; }
  void store_partial(float* p, int n) const {
    if (n > 0) *p = v;
  }
  static Vec first_lanes(int n) { return from_bits(n > 0 ? 0xffffffffu : 0u); }

  friend Vec operator+(Vec a, Vec b) { return {a.v + b.v}; }
  friend Vec operator-(Vec a, Vec b) { return {a.v - b.v}; }
  friend Vec operator*(Vec a, Vec b) { return {a.v * b.v}; }
  friend Vec operator/(Vec a, Vec b) { return {a.v / b.v}; }
  friend Vec fmadd(Vec a, Vec b, Vec c) { return {a.v * b.v + c.v}; }
  // Like vmaxps: the second operand when either is NaN or they are equal.
  friend Vec max(Vec a, Vec b) { return {a.v > b.v ? a.v : b.v}; }
  friend Vec ge_mask(Vec a, Vec b) { return from_bits(a.v >= b.v ? 0xffffffffu : 0u); }
  friend Vec select(Vec mask, Vec a) { return from_bits(bits(mask) & bits(a)); }
  friend int movemask(Vec mask) { return static_cast<int>(bits(mask) >> 31); }
  float sum() const { return v; }
  friend Vec log(Vec a) { return {std::log(a.v)}; }
  friend Vec exp(Vec a) { return {std::exp(a.v)}; }

  static uint32_t bits(Vec a) {
    uint32_t b;
    std::memcpy(&b, &a.v, sizeof b);
    return b;
  }
  static Vec from_bits(uint32_t b) {
    Vec a;
    std::memcpy(&a.v, &b, sizeof b);
    return a;
  }
};

}  // namespace isc::cpu::generic
