// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"),
// laid out exactly as TensorFlow's PhiloxRandom so seeded streams reproduce
// TensorFlow's values: a 64-bit key from the first seed, the upper half of the
// 128-bit counter from the second, each call returning four uint32 and moving
// the counter on by one.
//
//   Philox gen(seed, seed2);
//   Philox::Block b = gen();   // four random uint32
//   gen.Skip(n);               // jump n blocks ahead in O(1)
//
// A value type: copy it to fork a stream. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>

namespace savedmodel {

class Philox {
 public:
  using Block = std::array<uint32_t, 4>;
  static constexpr int kBlockSize = 4;

  Philox() = default;
  Philox(uint64_t seed_lo, uint64_t seed_hi);

  Block operator()();
  // Advances the 128-bit counter by `count` blocks.
  void Skip(uint64_t count);

 private:
  Block counter_{};
  std::array<uint32_t, 2> key_{};
};

// Bit-exact conversions TensorFlow's distributions use.
// [0, 1) from the low 23 bits (a float in [1, 2) minus one).
float Uint32ToUnitFloat(uint32_t x);
// [0, 1) from 52 bits: the low 20 of x0 above all 32 of x1.
double Uint64ToUnitDouble(uint32_t x0, uint32_t x1);
// Two standard normals from two (four) uniform words by Box-Muller.
void BoxMullerFloat(uint32_t x0, uint32_t x1, float* f0, float* f1);
void BoxMullerDouble(uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3, double* d0, double* d1);

}  // namespace savedmodel
