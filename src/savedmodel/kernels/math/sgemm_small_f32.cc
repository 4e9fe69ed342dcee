// The small-m product compiled once per instruction-set level: the kernels
// are written once (sgemm_small_f32_impl.inc) over a vector type and a few
// operations, and included into one namespace per level whose functions all
// carry that level's target attribute, so the build stays generic x86-64 and
// no function is compiled for two targets under one name.
#include "savedmodel/kernels/math/sgemm_small_f32.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "savedmodel/base/cpu_features.h"
#include "savedmodel/kernels/math/gemm.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SM_SMALL_GEMM_X86 1
#endif

namespace savedmodel::kernels {
namespace {

#ifdef SM_SMALL_GEMM_X86
#define SM_INLINE __attribute__((always_inline)) inline

// Rows of B ahead that the row-streaming kernels prefetch (0: none).
#ifndef SM_SMALL_GEMM_PREFETCH
#define SM_SMALL_GEMM_PREFETCH 8
#endif
constexpr int64_t kPrefetchRows = SM_SMALL_GEMM_PREFETCH;
SM_INLINE void Prefetch(const float* p) {
  _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0);
}

namespace avx512 {
#define SM_ATTR __attribute__((target("avx512f")))
using V = __m512;
constexpr int64_t kW = 16;
constexpr bool kNarrow = false;
SM_ATTR SM_INLINE __mmask16 Mask(int64_t n) { return static_cast<__mmask16>((1u << n) - 1); }
SM_ATTR SM_INLINE V Zero() { return _mm512_setzero_ps(); }
SM_ATTR SM_INLINE V Load(const float* p) { return _mm512_loadu_ps(p); }
SM_ATTR SM_INLINE V LoadPart(const float* p, int64_t n) { return _mm512_maskz_loadu_ps(Mask(n), p); }
SM_ATTR SM_INLINE void Store(float* p, V v) { _mm512_storeu_ps(p, v); }
SM_ATTR SM_INLINE void StorePart(float* p, V v, int64_t n) { _mm512_mask_storeu_ps(p, Mask(n), v); }
SM_ATTR SM_INLINE V Set1(float x) { return _mm512_set1_ps(x); }
SM_ATTR SM_INLINE V Fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
SM_ATTR SM_INLINE V Add(V a, V b) { return _mm512_add_ps(a, b); }
SM_ATTR SM_INLINE V Mul(V a, V b) { return _mm512_mul_ps(a, b); }
SM_ATTR SM_INLINE float Sum(V v) {
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v),
                                 _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
  return _mm_cvtss_f32(q);
}
#include "savedmodel/kernels/math/sgemm_small_f32_impl.inc"
#undef SM_ATTR
}  // namespace avx512

namespace avx2 {
#define SM_ATTR __attribute__((target("avx2,fma")))
using V = __m256;
constexpr int64_t kW = 8;
constexpr bool kNarrow = true;
SM_ATTR SM_INLINE __m256i Mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
SM_ATTR SM_INLINE V Zero() { return _mm256_setzero_ps(); }
SM_ATTR SM_INLINE V Load(const float* p) { return _mm256_loadu_ps(p); }
SM_ATTR SM_INLINE V LoadPart(const float* p, int64_t n) { return _mm256_maskload_ps(p, Mask(n)); }
SM_ATTR SM_INLINE void Store(float* p, V v) { _mm256_storeu_ps(p, v); }
SM_ATTR SM_INLINE void StorePart(float* p, V v, int64_t n) { _mm256_maskstore_ps(p, Mask(n), v); }
SM_ATTR SM_INLINE V Set1(float x) { return _mm256_set1_ps(x); }
SM_ATTR SM_INLINE V Fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
SM_ATTR SM_INLINE V Add(V a, V b) { return _mm256_add_ps(a, b); }
SM_ATTR SM_INLINE V Mul(V a, V b) { return _mm256_mul_ps(a, b); }
SM_ATTR SM_INLINE float Sum(V v) {
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
  return _mm_cvtss_f32(q);
}
#include "savedmodel/kernels/math/sgemm_small_f32_impl.inc"
#undef SM_ATTR
}  // namespace avx2

// SSE2, which every x86-64 has: no FMA, so a multiply then an add (each
// rounded), and no masked loads, so partial vectors go through a buffer.
namespace baseline {
#define SM_ATTR
using V = __m128;
constexpr int64_t kW = 4;
constexpr bool kNarrow = true;
SM_INLINE V Zero() { return _mm_setzero_ps(); }
SM_INLINE V Load(const float* p) { return _mm_loadu_ps(p); }
SM_INLINE V LoadPart(const float* p, int64_t n) {
  float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  std::memcpy(t, p, static_cast<size_t>(n) * sizeof(float));
  return _mm_loadu_ps(t);
}
SM_INLINE void Store(float* p, V v) { _mm_storeu_ps(p, v); }
SM_INLINE void StorePart(float* p, V v, int64_t n) {
  float t[4];
  _mm_storeu_ps(t, v);
  std::memcpy(p, t, static_cast<size_t>(n) * sizeof(float));
}
SM_INLINE V Set1(float x) { return _mm_set1_ps(x); }
SM_INLINE V Fma(V a, V b, V c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
SM_INLINE V Add(V a, V b) { return _mm_add_ps(a, b); }
SM_INLINE V Mul(V a, V b) { return _mm_mul_ps(a, b); }
SM_INLINE float Sum(V v) {
  __m128 q = _mm_add_ps(v, _mm_movehl_ps(v, v));
  q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
  return _mm_cvtss_f32(q);
}
#include "savedmodel/kernels/math/sgemm_small_f32_impl.inc"
#undef SM_ATTR
}  // namespace baseline

#undef SM_INLINE

// AVX2 without FMA exists (early VIA and Zhaoxin parts); those take the
// baseline.
bool HasFma() {
  static const bool fma = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("fma") != 0;
  }();
  return fma;
}
#endif  // SM_SMALL_GEMM_X86

}  // namespace

void SgemmSmall(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    // Nothing to sum: C = beta * C (beta 0 overwrites, NaNs included), and A
    // and B, which may be null for an empty operand, are never touched.
    for (int64_t i = 0; i < m; ++i) {
      float* row = c + i * ldc;
      for (int64_t j = 0; j < n; ++j) row[j] = beta == 0.0f ? 0.0f : beta * row[j];
    }
    return;
  }
#ifdef SM_SMALL_GEMM_X86
  // A(i, p) is a[i * ars + p * aks].
  int64_t ars = trans_a ? 1 : lda, aks = trans_a ? lda : 1;
  std::vector<float> packed;
  if (trans_b && aks != 1 && k > 1) {
    // The dot products read A's rows along k: a transposed A is copied to
    // rows first (m * k floats, the size of A itself).
    packed.resize(static_cast<size_t>(m * k));
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t p = 0; p < k; ++p) packed[i * k + p] = a[i * ars + p * aks];
    }
    a = packed.data();
    ars = k;
    aks = 1;
  }
  switch (ActiveSimdLevel()) {
    case SimdLevel::kAvx512:
      return avx512::Product(trans_b, m, n, k, a, ars, aks, b, ldb, beta, c, ldc);
    case SimdLevel::kAvx2:
      if (HasFma()) return avx2::Product(trans_b, m, n, k, a, ars, aks, b, ldb, beta, c, ldc);
      break;
    case SimdLevel::kBaseline:
      break;
  }
  baseline::Product(trans_b, m, n, k, a, ars, aks, b, ldb, beta, c, ldc);
#else
  SgemmReference(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
#endif
}

}  // namespace savedmodel::kernels
