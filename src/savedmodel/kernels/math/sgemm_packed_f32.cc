// SgemmPacked: the loops of a GotoBLAS/BLIS product, our own code.
//
//   for each block of columns [jc, jc + kNc) of C:
//     for each pass of terms [pc, pc + kc):
//       pack B[pc:pc+kc, jc:jc+kNc] into panels of kNr columns (unless the
//       block has few rows and B is not transposed: then read in place)
//       for each block of rows [ic, ic + kMc):
//         (A stored transposed: pack A[ic:ic+kMc, pc:pc+kc] into panels)
//         for each panel of B (its kc x kNr, 40 KiB, stays in L1):
//           for each kMr rows: the kernel, kMr x kNr of C in registers
//
// The kernel keeps 14 x 32 of C in 28 of the 32 zmm registers and, per term,
// loads two vectors of B and broadcasts 14 floats of A into 28 FMAs: 28
// independent chains cover the FMA latency of both pipes. A not transposed
// is read in place, row by row (packing it cost more than it saved at every
// shape measured, 2048^3 included: the broadcasts are scalar loads, and the
// rows of one block stay in L2). The last panel of B is padded with zeros and
// the kernel's stores are masked; the last rows run a kernel of exactly that
// many rows. Measured alternatives (6 x 64, 8 x 48, 7 x 48 tiles; kc 192,
// 256 and 384; blocks of 512 and 2048 columns; FMAs with embedded broadcasts; A
// packed by gathers) were no faster on the Zen 5 host.
//
// An element's sum runs over k in passes fixed by k alone (KcFor), each pass
// in order, stored or added to C: the same order whichever tile, block or
// thread computes the element, so the bits never depend on the pool.
#include "savedmodel/kernels/math/sgemm_packed_f32.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <new>
#include <utility>

#include "savedmodel/base/cpu_features.h"
#include "savedmodel/base/thread_pool.h"

namespace savedmodel::kernels {
namespace {

constexpr int kMr = 14;  // rows of C per kernel call
constexpr int kNv = 2;   // vectors of 16 columns per kernel call
constexpr int64_t kNr = 16 * kNv;
// Terms per pass over C at most: a kc x kNr panel of B (40 KiB) stays in
// the 48 KiB L1 (mostly) while the rows of A stream past it. 320 rather than
// 256: the convnet's k = 288 runs in one pass instead of two (measured
// 1.0-1.4x oneDNN on 36864x64x288 against 0.7-0.86 with two passes; 2048^3
// the same within noise).
constexpr int64_t kMaxKc = 320;
// Rows per block: kMc x kMaxKc floats of A (210 KiB) stay in L2 while every
// panel of B passes over them.
constexpr int64_t kMc = kMr * 12;
// Columns per block: the packed B block, kMaxKc x kNc floats (1.25 MiB), is
// read once per block of rows.
constexpr int64_t kNc = 1024;
static_assert(kNc % kNr == 0, "column blocks hold whole panels");

// Blocks of at most this many rows read B (not transposed) in place instead
// of packing it: a panel then serves at most 10 kernel calls, too few to
// repay the copy (64x512x784 on one core: 1.0x oneDNN against 0.9 packed).
constexpr int64_t kDirectBMaxRows = 128;

// Columns handed to on_block at a time: a kMc x 256 block of C (168 KiB) is
// still in L2 when the callback runs.
constexpr int64_t kCallbackCols = 256;
static_assert(kCallbackCols % kNr == 0, "callback blocks hold whole panels");

// Below this many multiply-adds per block, a product is not split (a hand-off
// to a pool thread costs microseconds).
constexpr int64_t kMinBlockWork = int64_t{1} << 17;

// C[0:mr, 0:nr] (row stride ldc) = or += the product of a kMr x kc block of
// A and a kc x kNr panel of B (row p at bp + p * ldbp; packed: ldbp = kNr).
// A is a packed panel (column p at ap + p * kMr) or, kDirectA, rows of A as
// stored (row r at ap + r * lda).
template <int MR, int NV, bool kDirectA>
__attribute__((target("avx512f"))) void Kernel(int64_t kc, const float* ap, int64_t lda,
                                               const float* bp, int64_t ldbp, float* c,
                                               int64_t ldc, int mr, int nr, bool accumulate) {
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  // The tile of C is read (accumulate) or written at the end: start its
  // lines on their way now, so the kc terms hide the miss (C is rows ldc
  // apart, which the hardware prefetcher does not follow).
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    if (r < mr) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 16 * v), _MM_HINT_T0);
      }
    }
  }
  if constexpr (kDirectA) {
    const float* rows[MR];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) rows[r] = ap + (r < mr ? r : 0) * lda;
    for (int64_t p = 0; p < kc; ++p, bp += ldbp) {
      __m512 b[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) b[v] = _mm512_loadu_ps(bp + 16 * v);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const __m512 a = _mm512_set1_ps(rows[r][p]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
      }
    }
  } else {
    for (int64_t p = 0; p < kc; ++p, ap += MR, bp += ldbp) {
      __m512 b[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) b[v] = _mm512_loadu_ps(bp + 16 * v);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const __m512 a = _mm512_set1_ps(ap[r]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
      }
    }
  }
  if (mr == MR && nr == 16 * NV) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      float* row = c + r * ldc;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        __m512 x = acc[r][v];
        if (accumulate) x = _mm512_add_ps(x, _mm512_loadu_ps(row + 16 * v));
        _mm512_storeu_ps(row + 16 * v, x);
      }
    }
    return;
  }
  __mmask16 masks[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    const int cols = std::clamp(nr - 16 * v, 0, 16);
    masks[v] = static_cast<__mmask16>((uint32_t{1} << cols) - 1);
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    if (r >= mr) break;
    float* row = c + r * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      __m512 x = acc[r][v];
      if (accumulate) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(masks[v], row + 16 * v));
      _mm512_mask_storeu_ps(row + 16 * v, masks[v], x);
    }
  }
}

using KernelFn = void (*)(int64_t, const float*, int64_t, const float*, int64_t, float*, int64_t,
                          int, int, bool);

// Kernels for a whole panel of kMr rows and for each shorter last panel, so
// a product of m rows computes m rows, not m rounded up to kMr.
template <bool kDirectA, int... R>
constexpr std::array<KernelFn, sizeof...(R) + 1> KernelTable(std::integer_sequence<int, R...>) {
  return {nullptr, &Kernel<R + 1, kNv, kDirectA>...};
}
constexpr auto kDirectKernels = KernelTable<true>(std::make_integer_sequence<int, kMr>());
constexpr auto kPackedKernels = KernelTable<false>(std::make_integer_sequence<int, kMr>());

// Packs op(B)[p0:p0+kc, j0:j0+nc] into panels of kNr columns, kc x kNr floats
// each, the last one padded with zeros.
__attribute__((target("avx512f"))) void PackB(bool trans_b, const float* b, int64_t ldb,
                                              int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                                              float* dst) {
  for (int64_t jp = 0; jp < nc; jp += kNr, dst += kc * kNr) {
    const int64_t nr = std::min(kNr, nc - jp);
    if (!trans_b) {
      // Row p of the panel: nr contiguous floats of row p0 + p of B.
      __mmask16 masks[kNv];
      for (int v = 0; v < kNv; ++v) {
        const int64_t cols = std::clamp<int64_t>(nr - 16 * v, 0, 16);
        masks[v] = static_cast<__mmask16>((uint32_t{1} << cols) - 1);
      }
      const float* src = b + p0 * ldb + j0 + jp;
      for (int64_t p = 0; p < kc; ++p, src += ldb) {
        for (int v = 0; v < kNv; ++v) {
          _mm512_store_ps(dst + p * kNr + 16 * v, _mm512_maskz_loadu_ps(masks[v], src + 16 * v));
        }
      }
    } else {
      // B stored [n, k]: column j of op(B) is row j of b, contiguous in p.
      if (nr < kNr) std::fill(dst, dst + kc * kNr, 0.0f);
      for (int64_t jj = 0; jj < nr; ++jj) {
        const float* src = b + (j0 + jp + jj) * ldb + p0;
        for (int64_t p = 0; p < kc; ++p) dst[p * kNr + jj] = src[p];
      }
    }
  }
}

// Packs A[i0:i0+mc, p0:p0+kc] of an A stored transposed ([k, m]) into panels
// of kMr rows, kc x kMr floats each (column p of the panel: kMr contiguous
// floats of row p0 + p of the stored A), the last one kc x (its rows).
// A not transposed needs no packing: the kernel reads its rows in place.
__attribute__((target("avx512f"))) void PackTransposedA(const float* a, int64_t lda, int64_t i0,
                                                        int64_t mc, int64_t p0, int64_t kc,
                                                        float* dst) {
  for (int64_t ip = 0; ip < mc; ip += kMr) {
    const int64_t mr = std::min<int64_t>(kMr, mc - ip);
    const __mmask16 mask = static_cast<__mmask16>((uint32_t{1} << mr) - 1);
    const float* src = a + p0 * lda + i0 + ip;
    for (int64_t p = 0; p < kc; ++p, src += lda, dst += mr) {
      _mm512_mask_storeu_ps(dst, mask, _mm512_maskz_loadu_ps(mask, src));
    }
  }
}

// One thread's packing buffers, 64-byte aligned, grown to the largest block
// the thread has needed (at most kMc x kMaxKc and kMaxKc x kNc floats) and kept
// for its next product.
struct PackBuffers {
  struct Free {
    void operator()(float* p) const { ::operator delete[](p, std::align_val_t{64}); }
  };
  using Buffer = std::unique_ptr<float[], Free>;
  Buffer a, b;
  int64_t a_size = 0, b_size = 0;

  static float* Ensure(Buffer& buf, int64_t& size, int64_t want) {
    if (size < want) {
      buf.reset(static_cast<float*>(::operator new[](want * sizeof(float), std::align_val_t{64})));
      size = want;
    }
    return buf.get();
  }
};

PackBuffers& ThreadBuffers() {
  thread_local PackBuffers buffers;
  return buffers;
}

int64_t RoundUp(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// Terms per pass: k in equal passes of at most kMaxKc (a multiple of 8 but
// the last), so no pass is a short remainder that costs a whole extra load
// and store of C. A function of k alone: it fixes every element's
// summation order.
int64_t KcFor(int64_t k) {
  const int64_t passes = (k + kMaxKc - 1) / kMaxKc;
  return std::min(k, RoundUp((k + passes - 1) / passes, 8));
}

// The product for rows [r0, r1) x columns [q0, q1) of C on the calling thread.
void ProductBlock(bool trans_a, bool trans_b, int64_t r0, int64_t r1, int64_t q0, int64_t q1,
                  int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                  float beta, float* c, int64_t ldc, const GemmBlockFn& on_block) {
  if (beta != 0.0f && beta != 1.0f) {
    for (int64_t i = r0; i < r1; ++i) {
      for (int64_t j = q0; j < q1; ++j) c[i * ldc + j] *= beta;
    }
  }
  const bool direct_b = !trans_b && r1 - r0 <= kDirectBMaxRows;
  PackBuffers& bufs = ThreadBuffers();
  const int64_t kc_max = KcFor(k);
  float* pa = trans_a ? PackBuffers::Ensure(bufs.a, bufs.a_size,
                                            RoundUp(std::min(kMc, r1 - r0), kMr) * kc_max)
                      : nullptr;
  float* pb = PackBuffers::Ensure(bufs.b, bufs.b_size,
                                  RoundUp(std::min(kNc, q1 - q0), kNr) * kc_max);
  for (int64_t jc = q0; jc < q1; jc += kNc) {
    const int64_t nc = std::min(kNc, q1 - jc);
    for (int64_t pc = 0; pc < k; pc += kc_max) {
      const int64_t kc = std::min(kc_max, k - pc);
      const bool accumulate = pc > 0 || beta != 0.0f;
      const bool last = pc + kc == k;
      if (!direct_b) PackB(trans_b, b, ldb, pc, kc, jc, nc, pb);
      for (int64_t ic = r0; ic < r1; ic += kMc) {
        const int64_t mc = std::min(kMc, r1 - ic);
        if (trans_a) PackTransposedA(a, lda, ic, mc, pc, kc, pa);
        for (int64_t jg = 0; jg < nc; jg += kCallbackCols) {
          const int64_t jg_end = std::min(nc, jg + kCallbackCols);
          for (int64_t jr = jg; jr < jg_end; jr += kNr) {
            const int nr = static_cast<int>(std::min(kNr, nc - jr));
            const float* bp = pb + (jr / kNr) * kc * kNr;
            int64_t ldbp = kNr;
            if (direct_b) {
              if (nr == kNr) {
                bp = b + pc * ldb + jc + jr;
                ldbp = ldb;
              } else {
                // The last, partial panel: padded with zeros like the others.
                PackB(false, b, ldb, pc, kc, jc + jr, nr, pb);
                bp = pb;
              }
            }
            for (int64_t ir = 0; ir < mc; ir += kMr) {
              const int mr = static_cast<int>(std::min<int64_t>(kMr, mc - ir));
              float* cp = c + (ic + ir) * ldc + jc + jr;
              if (!trans_a) {
                kDirectKernels[mr](kc, a + (ic + ir) * lda + pc, lda, bp, ldbp, cp, ldc, mr, nr,
                                   accumulate);
              } else {
                kPackedKernels[mr](kc, pa + (ir / kMr) * kc * kMr, 0, bp, ldbp, cp, ldc, mr, nr,
                                   accumulate);
              }
            }
          }
          if (last && on_block) on_block(ic, ic + mc, jc + jg, jc + jg_end);
        }
      }
    }
  }
}

// Blocks of `dim` items, multiples of `align`, each of at least kMinBlockWork
// multiply-adds (`work_per_item` each): one per thread, or two per thread
// along a long dimension, so a thread slowed by other work takes fewer.
// Depends on the shape and thread count only.
int64_t BlockSize(int64_t dim, int64_t align, int64_t work_per_item, int64_t threads) {
  const int64_t per_thread = dim >= 1024 ? 2 : 1;
  const int64_t by_work = std::max<int64_t>(1, kMinBlockWork / std::max<int64_t>(1, work_per_item));
  int64_t blocks = std::min<int64_t>(threads * per_thread, std::max<int64_t>(1, dim / by_work));
  blocks = std::min<int64_t>(blocks, std::max<int64_t>(1, dim / align));
  const int64_t size = RoundUp((dim + blocks - 1) / blocks, align);
  return std::min(size, dim);
}

}  // namespace

bool SgemmPackedAvailable() { return ActiveSimdLevel() >= SimdLevel::kAvx512; }

void SgemmPacked(ThreadPool* pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc, const GemmBlockFn& on_block) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int64_t i = 0; i < m; ++i) {
      float* row = c + i * ldc;
      if (beta == 0.0f) {
        std::fill(row, row + n, 0.0f);
      } else if (beta != 1.0f) {
        for (int64_t j = 0; j < n; ++j) row[j] *= beta;
      }
    }
    if (on_block) on_block(0, m, 0, n);
    return;
  }
  const int64_t threads = pool == nullptr ? 1 : pool->num_threads() + 1;
  // Split the dimension whose blocks share the smaller operand: each block
  // of columns packs all of A again, each block of rows all of B.
  const bool by_cols = m < n;
  const int64_t size = by_cols ? BlockSize(n, kNr, m * k, threads)
                               : BlockSize(m, kMr, n * k, threads);
  const int64_t blocks = ((by_cols ? n : m) + size - 1) / size;
  auto run = [&](int64_t blk) {
    if (by_cols) {
      const int64_t q0 = blk * size, q1 = std::min(n, q0 + size);
      ProductBlock(trans_a, trans_b, 0, m, q0, q1, k, a, lda, b, ldb, beta, c, ldc, on_block);
    } else {
      const int64_t r0 = blk * size, r1 = std::min(m, r0 + size);
      ProductBlock(trans_a, trans_b, r0, r1, 0, n, k, a, lda, b, ldb, beta, c, ldc, on_block);
    }
  };
  ForEachBlock(pool, threads, blocks, run);
}

}  // namespace savedmodel::kernels
