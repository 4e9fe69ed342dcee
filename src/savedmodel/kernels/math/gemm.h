// Single-precision matrix products for the heavy float kernels (MatMul,
// BatchMatMul, Conv2D by im2col, the fused kernels). One entry point, so the
// backends (our precompiled kernels for few rows, oneDNN's JIT sgemm for the
// rest, chosen by measurement: bench/gemm_bench.cc) and the threading are
// decided in one place.
//
// Layout is row-major throughout: op(A) is [m, k], op(B) is [k, n], C is
// [m, n]; lda/ldb/ldc are the row strides of A, B and C as stored (A stored
// [k, m] when trans_a, B stored [n, k] when trans_b).
#pragma once

#include <cstdint>
#include <functional>

namespace savedmodel {
class ThreadPool;
}

namespace savedmodel::kernels {

// C = op(A) * op(B) + beta * C. beta is 0 or 1 in practice (0: C need not be
// initialized; NaNs in it are not propagated). Splits the product across
// `pool` (null: the calling thread only) by blocks of rows or columns; the
// backend itself never starts threads of its own, so concurrent Runs share
// the session's pools without oversubscribing the machine.
void Sgemm(ThreadPool* pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc);

// Receives a finished block of C, rows [row_begin, row_end) x columns
// [col_begin, col_end), on the thread that computed it, while the block is
// still in cache: fused kernels add their bias and activation there. The
// blocks tile C exactly once.
using GemmBlockFn =
    std::function<void(int64_t row_begin, int64_t row_end, int64_t col_begin, int64_t col_end)>;

// Sgemm, handing each block of C to `on_block` once it is computed.
void Sgemm(ThreadPool* pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc, const GemmBlockFn& on_block);

// The portable product (Eigen, one thread) that Sgemm is tested against.
void SgemmReference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// oneDNN's one-time setup: it generates its code for this CPU on first use
// (38-55 ms measured on AVX-512). Once per process, thread-safe, on the
// calling thread; cheap after that. Sgemm calls it on the first product too
// large for SgemmSmall (m > kSmallGemmMaxM), so a model whose products are
// all small never pays it; call it ahead of time where a later first product
// must not (the training CLI does, beside reading its data).
void GenerateGemmCode();

}  // namespace savedmodel::kernels
