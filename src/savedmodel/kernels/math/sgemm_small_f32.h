// Products with few rows of C (a batch of one to a few examples times a
// weight matrix: GEMV-like), on precompiled code for AVX-512F, AVX2+FMA and
// the SSE2 baseline, chosen at run time (base/cpu_features.h). They need no
// code generation, so a model whose products are all this small never starts
// oneDNN's JIT (38-55 ms per process), and at these shapes, which only
// stream B once, they beat oneDNN's sgemm (measured: bench/gemm_bench.cc).
//
// Layout as in gemm.h: row-major, op(A) is [m, k], op(B) is [k, n], C is
// [m, n], lda/ldb/ldc the row strides as stored.
#pragma once

#include <cstdint>

namespace savedmodel::kernels {

// The largest m that Sgemm hands to SgemmSmall (measured against oneDNN:
// docs/performance.md, "Matrix products").
constexpr int64_t kSmallGemmMaxM = 8;

// C = op(A) * op(B) + beta * C on the calling thread, for any m (rows are
// taken up to 8 at a time, each pass reading B once), any transposes and
// strides. beta 0 does not read C. Each element of C is summed over k in the
// same order wherever its column falls, so a block of columns computed alone
// gives the same bits as the whole product.
void SgemmSmall(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace savedmodel::kernels
