// Compiled with -mavx512f -mavx512dq -mavx512vl -mfma -fopenmp on x86-64
// (bench/CMakeLists.txt); elsewhere the column is left out.
#define EIGEN_DEFAULT_DENSE_INDEX_TYPE int
#include <Eigen/Core>

#include "gemm_bench_eigen.h"

namespace gemm_bench {

#if defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__AVX512VL__) && defined(__FMA__)

bool EigenAvx512Supported() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
}

void EigenAvx512(int threads, int64_t m, int64_t n, int64_t k, const float* a, const float* b,
                 float* c) {
  using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::setNbThreads(threads);
  Eigen::Map<const Mat> A(a, static_cast<int>(m), static_cast<int>(k));
  Eigen::Map<const Mat> B(b, static_cast<int>(k), static_cast<int>(n));
  Eigen::Map<Mat> C(c, static_cast<int>(m), static_cast<int>(n));
  C.noalias() = A * B;
}

#else

bool EigenAvx512Supported() { return false; }
void EigenAvx512(int, int64_t, int64_t, int64_t, const float*, const float*, float*) {}

#endif

}  // namespace gemm_bench
