#include "savedmodel/base/cpu_features.h"

#include <algorithm>
#include <atomic>

namespace savedmodel {

namespace {

SimdLevel Detect() {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  // __builtin_cpu_supports also checks that the OS saves the wide registers
  // (XGETBV), which cpuid alone does not.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return SimdLevel::kAvx512;
  if (__builtin_cpu_supports("avx2")) return SimdLevel::kAvx2;
#endif
  return SimdLevel::kBaseline;
}

std::atomic<int> cap{static_cast<int>(SimdLevel::kAvx512)};

}  // namespace

SimdLevel DetectedSimdLevel() {
  static const SimdLevel level = Detect();
  return level;
}

SimdLevel ActiveSimdLevel() {
  return static_cast<SimdLevel>(
      std::min(static_cast<int>(DetectedSimdLevel()), cap.load(std::memory_order_relaxed)));
}

SimdLevel SetSimdLevelCap(SimdLevel level) {
  return static_cast<SimdLevel>(cap.exchange(static_cast<int>(level)));
}

const char* SimdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512: return "avx512f";
    case SimdLevel::kAvx2: return "avx2";
    case SimdLevel::kBaseline: break;
  }
  return "baseline";
}

}  // namespace savedmodel
