#include "savedmodel/base/philox.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace savedmodel {
namespace {

// The Philox4x32 round constants (Weyl key increments and multipliers).
constexpr uint32_t kKeyStepA = 0x9E3779B9u;
constexpr uint32_t kKeyStepB = 0xBB67AE85u;
constexpr uint32_t kMulA = 0xD2511F53u;
constexpr uint32_t kMulB = 0xCD9E8D57u;
constexpr double kTwoPi = 6.283185307179586476925286766559;

inline void MulHiLo(uint32_t a, uint32_t b, uint32_t* lo, uint32_t* hi) {
  const uint64_t p = static_cast<uint64_t>(a) * b;
  *lo = static_cast<uint32_t>(p);
  *hi = static_cast<uint32_t>(p >> 32);
}

inline Philox::Block Round(const Philox::Block& c, const std::array<uint32_t, 2>& k) {
  uint32_t lo0, hi0, lo1, hi1;
  MulHiLo(kMulA, c[0], &lo0, &hi0);
  MulHiLo(kMulB, c[2], &lo1, &hi1);
  return {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
}

}  // namespace

Philox::Philox(uint64_t seed_lo, uint64_t seed_hi) {
  key_[0] = static_cast<uint32_t>(seed_lo);
  key_[1] = static_cast<uint32_t>(seed_lo >> 32);
  counter_[2] = static_cast<uint32_t>(seed_hi);
  counter_[3] = static_cast<uint32_t>(seed_hi >> 32);
}

Philox::Block Philox::operator()() {
  Block c = counter_;
  std::array<uint32_t, 2> k = key_;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k[0] += kKeyStepA;
      k[1] += kKeyStepB;
    }
    c = Round(c, k);
  }
  Skip(1);
  return c;
}

void Philox::Skip(uint64_t count) {
  const uint32_t lo = static_cast<uint32_t>(count);
  uint32_t hi = static_cast<uint32_t>(count >> 32);
  counter_[0] += lo;
  if (counter_[0] < lo) ++hi;  // carry into the next word
  counter_[1] += hi;
  if (counter_[1] < hi && ++counter_[2] == 0) ++counter_[3];
}

float Uint32ToUnitFloat(uint32_t x) {
  const uint32_t bits = (127u << 23) | (x & 0x7fffffu);
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f - 1.0f;
}

double Uint64ToUnitDouble(uint32_t x0, uint32_t x1) {
  const uint64_t bits = (uint64_t{1023} << 52) | (static_cast<uint64_t>(x0 & 0xfffffu) << 32) | x1;
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d - 1.0;
}

void BoxMullerFloat(uint32_t x0, uint32_t x1, float* f0, float* f1) {
  // A floor keeps log() finite; TensorFlow uses the same one.
  float u1 = std::max(Uint32ToUnitFloat(x0), 1.0e-7f);
  // The angle is formed in double and rounded once, as TensorFlow's
  // float-times-M_PI expression does.
  const float angle = static_cast<float>(kTwoPi * static_cast<double>(Uint32ToUnitFloat(x1)));
  const float radius = std::sqrt(-2.0f * std::log(u1));
  *f0 = std::sin(angle) * radius;
  *f1 = std::cos(angle) * radius;
}

void BoxMullerDouble(uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3, double* d0, double* d1) {
  double u1 = std::max(Uint64ToUnitDouble(x0, x1), 1.0e-7);
  const double angle = kTwoPi * Uint64ToUnitDouble(x2, x3);
  const double radius = std::sqrt(-2.0 * std::log(u1));
  *d0 = std::sin(angle) * radius;
  *d1 = std::cos(angle) * radius;
}

}  // namespace savedmodel
