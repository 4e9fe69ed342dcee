// Run-time instruction-set selection. The library is built for generic x86-64
// (one binary for every machine), so kernels that profit from wider vectors
// compile their loops once per level with GCC's target attribute and pick the
// variant at run time from what the CPU reports.
#pragma once

namespace savedmodel {

enum class SimdLevel {
  kBaseline = 0,  // what the build targets (SSE2 on x86-64)
  kAvx2 = 1,      // AVX2 (256-bit)
  kAvx512 = 2,    // AVX-512F (512-bit)
};

// The widest level this CPU and OS support (cpuid, read once).
SimdLevel DetectedSimdLevel();

// The level kernels dispatch on: DetectedSimdLevel() unless capped.
SimdLevel ActiveSimdLevel();

// Caps ActiveSimdLevel() at `level` (never above what the CPU supports), so
// tests can run every variant this machine has against the same reference.
// Returns the previous cap.
SimdLevel SetSimdLevelCap(SimdLevel level);

const char* SimdLevelName(SimdLevel level);

}  // namespace savedmodel
