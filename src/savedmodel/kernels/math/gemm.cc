// Sgemm: products with few rows on our precompiled kernels
// (sgemm_small_f32.h), batches of up to 128 rows into 64 or more columns on
// our packed AVX-512 kernel where the CPU has it (sgemm_packed_f32.h), the
// rest on oneDNN's sgemm (JIT code for the machine's ISA, generated at run
// time, so the build stays generic x86-64), all split across our own pool.
//
// oneDNN in Debian is built on OpenMP. Left alone, every calling thread would
// start its own OpenMP team as wide as the machine, so two pool threads each
// calling it would run 2 x cores threads, and concurrent Runs would multiply
// that again. Each thread that calls it here is held to an OpenMP team of one
// for the call instead, and the product is split into blocks here, one per
// pool thread.
#include "savedmodel/kernels/math/gemm.h"

#include <Eigen/Core>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/math/sgemm_packed_f32.h"
#include "savedmodel/kernels/math/sgemm_small_f32.h"

// The two OpenMP runtime calls used, declared here rather than through
// <omp.h>: GCC keeps that header in its private include directory, which
// clang (the sanitizer and fuzzer builds) does not search, and the functions
// are the same libgomp ones either way.
extern "C" {
int omp_get_max_threads(void);
void omp_set_num_threads(int num_threads);
}

namespace savedmodel::kernels {
namespace {

// Below this many multiply-adds (about 3 us on one core) a product runs on
// the calling thread. A hand-off to a polling worker costs a few microseconds
// (base/thread_pool.cc); a sleeping one, tens. Measured on the MNIST MLP at
// batch 1 (1x512x784 and 1x512x512 products), 2 threads, quiet machine: 29-37
// us a call with them split in two (each core then keeps its half of the
// weights in its own L2), 41-57 us inline with the bound at 2^22; before the
// pool polled, splitting them cost 175 us under load.
constexpr int64_t kMinBlockWork = int64_t{1} << 17;

// Column blocks start at multiples of one AVX-512 register of floats, so
// every block but the last reads and writes whole cache lines of B and C.
constexpr int64_t kColumnAlign = 16;
// Row blocks: multiples of the kernel's row unroll (8 rows of C per pass).
constexpr int64_t kRowAlign = 8;

// Holds the calling thread's OpenMP team size at one while oneDNN runs, and
// gives back what the thread had: an application's own OpenMP code on the
// same thread keeps its setting, and a setting it makes later cannot widen
// our products.
class OneOpenMpThread {
 public:
  OneOpenMpThread() : saved_(omp_get_max_threads()) {
    if (saved_ != 1) omp_set_num_threads(1);
  }
  ~OneOpenMpThread() {
    if (saved_ != 1) omp_set_num_threads(saved_);
  }
  OneOpenMpThread(const OneOpenMpThread&) = delete;
  OneOpenMpThread& operator=(const OneOpenMpThread&) = delete;

 private:
  const int saved_;
};

// oneDNN generates its sgemm code on the first product big enough to use it
// (40-55 ms measured here; a 1x1x1 product does not count); the other paths
// (each transpose, beta 1, one row or one column) are run once as well, so
// nothing is left for a model's first call.
void GenerateKernels() {
  OneOpenMpThread one;
  constexpr int kN = 64;
  std::vector<float> a(kN * kN, 1.0f), b(kN * kN, 1.0f), c(kN * kN);
  for (char ta : {'N', 'T'}) {
    for (char tb : {'N', 'T'}) {
      for (float beta : {0.0f, 1.0f}) {
        dnnl_sgemm(ta, tb, kN, kN, kN, 1.0f, a.data(), kN, b.data(), kN, beta, c.data(), kN);
        dnnl_sgemm(ta, tb, 1, kN, kN, 1.0f, a.data(), kN, b.data(), kN, beta, c.data(), kN);
        dnnl_sgemm(ta, tb, kN, 1, kN, 1.0f, a.data(), kN, b.data(), kN, beta, c.data(), kN);
      }
    }
  }
}

// Set once the code exists, so Sgemm checks one flag instead of the once_flag.
std::atomic<bool> generated{false};

// Scales C by beta, for products with k == 0 (no terms) and as the fallback's
// start. beta 0 overwrites, so NaNs in an uninitialized C do not survive.
void ScaleC(int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  if (beta == 1.0f) return;
  for (int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    if (beta == 0.0f) {
      std::fill(row, row + n, 0.0f);
    } else {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

// One block on the calling thread.
void SgemmBlock(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  OneOpenMpThread one;
  const dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, 1.0f, a,
                                      lda, b, ldb, beta, c, ldc);
  // oneDNN refuses only what it cannot run (e.g. its scratch allocation
  // failed); the portable product gives the same answer more slowly.
  if (st != dnnl_success) SgemmReference(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

// Blocks of `dim` items aligned to `align`, each of at least kMinBlockWork
// multiply-adds (`work_per_item` per item). One per thread, or up to four
// per thread along a long dimension, so that threads slowed by other work on
// the machine take fewer blocks: each block packs the other operand again,
// which costs about 20 multiply-adds per element packed, so that stays under
// 1% while dim is over 2048 per block. Depends on the shape and the pool
// size only, so results never depend on timing.
int64_t BlockSize(int64_t dim, int64_t align, int64_t work_per_item, int64_t threads) {
  const int64_t per_thread = std::clamp<int64_t>(dim / 2048, 1, 4);
  const int64_t by_work = std::max<int64_t>(1, kMinBlockWork / std::max<int64_t>(1, work_per_item));
  int64_t blocks = std::min<int64_t>(threads * per_thread, std::max<int64_t>(1, dim / by_work));
  blocks = std::min<int64_t>(blocks, std::max<int64_t>(1, dim / align));
  int64_t size = (dim + blocks - 1) / blocks;
  size = (size + align - 1) / align * align;
  return std::min(size, dim);
}

}  // namespace

// The products the packed kernel takes from oneDNN (see Sgemm): up to 128
// rows, at least 64 columns.
constexpr int64_t kPackedGemmMaxM = 128;
constexpr int64_t kPackedGemmMinN = 64;

void GenerateGemmCode() {
  if (generated.load(std::memory_order_acquire)) return;
  // On the calling thread, not a background one: oneDNN creates static
  // objects while it generates code, and a process that exits meanwhile
  // destroys them under the generator. Tried detached: one exit in four
  // within 40 ms of the start crashed, and waiting for the thread from an
  // atexit handler crashed nearly all (the handlers registered later, those
  // statics' destructors, run before it).
  static std::once_flag once;
  std::call_once(once, [] {
    GenerateKernels();
    generated.store(true, std::memory_order_release);
  });
}

void Sgemm(ThreadPool* pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc) {
  Sgemm(pool, trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc, GemmBlockFn());
}

void Sgemm(ThreadPool* pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc, const GemmBlockFn& on_block) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    ScaleC(m, n, beta, c, ldc);
    if (on_block) on_block(0, m, 0, n);
    return;
  }
  // ParallelFor runs ranges on the calling thread as well as on the workers.
  const int64_t threads = pool == nullptr ? 1 : pool->num_threads() + 1;
  // Few rows go to the small-m kernels, always in blocks of columns: each
  // reads its own columns of B once, and every element's sum is the same
  // whichever block it falls in.
  const bool small = m <= kSmallGemmMaxM;
  if (!small) {
    // A batch of up to 128 rows (an MLP or dense layer at serving batch
    // sizes) into at least 64 columns, with B as stored: the packed kernel
    // matched or beat oneDNN on every such shape measured (1.00-1.08x one
    // thread, up to 1.24x two; bench/sgemm_packed_bench), and needs no code
    // generation. It trails on narrow outputs (a 10-class head: 0.6x, its
    // 32-column tiles mostly masked; 48 columns still 0.7x), on a transposed
    // B (0.8x: B is packed by scalar copies) and on large squares (0.85x).
    if (m <= kPackedGemmMaxM && n >= kPackedGemmMinN && !trans_b && SgemmPackedAvailable()) {
      SgemmPacked(pool, trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc, on_block);
      return;
    }
    // The first product that needs oneDNN generates its code, once per process.
    GenerateGemmCode();
  }
  // Split the dimension whose blocks share the smaller operand: blocks of
  // columns each pack all of A (m x k) again, blocks of rows all of B (k x n).
  if (small || m < n) {
    const auto product = small ? SgemmSmall : SgemmBlock;
    const int64_t size = BlockSize(n, kColumnAlign, m * k, threads);
    ForEachBlock(pool, threads, (n + size - 1) / size, [&](int64_t blk) {
      const int64_t j0 = blk * size, cols = std::min(size, n - j0);
      product(trans_a, trans_b, m, cols, k, a, lda, trans_b ? b + j0 * ldb : b + j0, ldb, beta,
              c + j0, ldc);
      if (on_block) on_block(0, m, j0, j0 + cols);
    });
  } else {
    const int64_t size = BlockSize(m, kRowAlign, n * k, threads);
    ForEachBlock(pool, threads, (m + size - 1) / size, [&](int64_t blk) {
      const int64_t i0 = blk * size, rows = std::min(size, m - i0);
      SgemmBlock(trans_a, trans_b, rows, n, k, trans_a ? a + i0 : a + i0 * lda, lda, b, ldb, beta,
                 c + i0 * ldc, ldc);
      if (on_block) on_block(i0, i0 + rows, 0, n);
    });
  }
}

void SgemmReference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Stride = Eigen::OuterStride<>;
  Eigen::Map<Mat, 0, Stride> C(c, m, n, Stride(ldc));
  if (beta == 0.0f) {
    C.setZero();
  } else if (beta != 1.0f) {
    C *= beta;
  }
  if (k <= 0) return;
  Eigen::Map<const Mat, 0, Stride> A(a, trans_a ? k : m, trans_a ? m : k, Stride(lda));
  Eigen::Map<const Mat, 0, Stride> B(b, trans_b ? n : k, trans_b ? k : n, Stride(ldb));
  if (!trans_a && !trans_b) C.noalias() += A * B;
  else if (!trans_a) C.noalias() += A * B.transpose();
  else if (!trans_b) C.noalias() += A.transpose() * B;
  else C.noalias() += A.transpose() * B.transpose();
}

}  // namespace savedmodel::kernels
