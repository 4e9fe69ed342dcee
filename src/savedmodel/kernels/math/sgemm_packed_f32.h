// A packed single-precision matrix product for AVX-512 CPUs (GotoBLAS/BLIS
// structure): B is copied into panels of kc x 32 (A only when stored
// transposed), and a register-blocked kernel (14 x 32 of C in 28 zmm
// accumulators, FMA with broadcast A) runs over them. Compiled with per-function target attributes,
// so the build stays generic x86-64; callers check SgemmPackedAvailable().
//
// Same conventions as Sgemm (gemm.h): row-major, op(A) [m, k], op(B) [k, n],
// C [m, n], lda/ldb/ldc the row strides as stored.
#pragma once

#include <cstdint>

#include "savedmodel/kernels/math/gemm.h"

namespace savedmodel {
class ThreadPool;
}

namespace savedmodel::kernels {

// True when the CPU and OS run AVX-512F (ActiveSimdLevel() >= kAvx512, so a
// test's cap on the SIMD level turns it off too).
bool SgemmPackedAvailable();

// C = op(A) * op(B) + beta * C. beta 0 overwrites C (NaNs in it are not
// propagated); any other beta scales it first. Splits C into blocks of rows
// or columns across `pool` (null: the calling thread only), the caller taking
// part. Every element is summed over k in the same order (passes of at
// most 320 terms fixed by k alone, each in order) whichever block and thread computes
// it, so the result's bits do not depend on the pool. `on_block` (may be
// empty) receives each finished block of C once, on the thread that computed
// it, while the block is still in that core's cache; the blocks tile C.
// Memory: per calling thread, packing buffers of at most 1.5 MiB, kept for
// the thread's next product (nothing proportional to the product's size).
// REQUIRES: SgemmPackedAvailable().
void SgemmPacked(ThreadPool* pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc, const GemmBlockFn& on_block);

}  // namespace savedmodel::kernels
