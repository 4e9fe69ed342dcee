// Eigen's float product compiled for AVX-512 (its best on this machine), for
// gemm_bench. A separate file because Eigen picks its instructions when it is
// compiled; it uses int indices, so none of its template code shares a symbol
// with the library's own (generic x86-64) Eigen code linked into the bench.
#pragma once

#include <cstdint>

namespace gemm_bench {

// Whether this CPU runs the AVX-512 build (AVX-512F/DQ/VL and FMA).
bool EigenAvx512Supported();

// c[m, n] = a[m, k] * b[k, n], row-major, on `threads` OpenMP threads of Eigen's own.
void EigenAvx512(int threads, int64_t m, int64_t n, int64_t k, const float* a, const float* b,
                 float* c);

}  // namespace gemm_bench
