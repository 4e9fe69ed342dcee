#include "savedmodel/kernels/math/gemm.h"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "savedmodel/base/cpu_features.h"
#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/math/sgemm_small_f32.h"

namespace savedmodel::kernels {
namespace {

struct Case {
  bool ta, tb;
  int64_t m, n, k;
  int64_t pad;  // added to every leading dimension
  float beta;
};

std::string Describe(const Case& c, bool pooled) {
  return "ta=" + std::to_string(c.ta) + " tb=" + std::to_string(c.tb) + " m=" +
         std::to_string(c.m) + " n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) +
         " pad=" + std::to_string(c.pad) + " beta=" + std::to_string(c.beta) +
         (pooled ? " pool" : " inline");
}

std::vector<float> Random(int64_t size, std::mt19937* rng) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(size);
  for (float& x : v) x = d(*rng);
  return v;
}

// Runs Sgemm (or SgemmSmall directly, small) and SgemmReference on the same
// inputs and compares every element of C, and checks that the padding
// between C's rows is left alone.
void Check(const Case& c, ThreadPool* pool, std::mt19937* rng, bool small = false) {
  const int64_t a_rows = c.ta ? c.k : c.m, a_cols = c.ta ? c.m : c.k;
  const int64_t b_rows = c.tb ? c.n : c.k, b_cols = c.tb ? c.k : c.n;
  const int64_t lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.n + c.pad;
  const std::vector<float> a = Random(a_rows * lda, rng), b = Random(b_rows * ldb, rng);
  std::vector<float> c0 = Random(c.m * ldc, rng);
  if (c.beta == 0.0f) {
    // beta 0 means C is not read: NaNs there must not reach the result.
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) c0[i * ldc + j] = std::numeric_limits<float>::quiet_NaN();
    }
  }
  std::vector<float> got = c0, want = c0;
  if (small) {
    SgemmSmall(c.ta, c.tb, c.m, c.n, c.k, a.data(), lda, b.data(), ldb, c.beta, got.data(), ldc);
  } else {
    Sgemm(pool, c.ta, c.tb, c.m, c.n, c.k, a.data(), lda, b.data(), ldb, c.beta, got.data(), ldc);
  }
  SgemmReference(c.ta, c.tb, c.m, c.n, c.k, a.data(), lda, b.data(), ldb, c.beta, want.data(),
                 ldc);
  // Terms are in [-1, 1]: a sum of k of them rounds by at most about k ulps
  // of its magnitude bound, whatever the order.
  const float tol = 1e-6f * static_cast<float>(c.k + 2);
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const int64_t at = i * ldc + j;
      if (j >= c.n) {
        ASSERT_EQ(got[at], c0[at]) << Describe(c, pool != nullptr) << " wrote padding " << i
                                   << "," << j;
        continue;
      }
      ASSERT_TRUE(std::isfinite(got[at])) << Describe(c, pool != nullptr) << " at " << i << ","
                                          << j;
      ASSERT_NEAR(got[at], want[at], tol * std::max(1.0f, std::abs(want[at])))
          << Describe(c, pool != nullptr) << " at " << i << "," << j;
    }
  }
}

TEST(GemmTest, MatchesReferenceOverShapesTransposesStridesAndBeta) {
  ThreadPool pool(2);
  std::mt19937 rng(7);
  const int64_t dims[] = {1, 2, 7, 64, 100, 513};
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (int64_t m : dims) {
        for (int64_t n : dims) {
          for (int64_t k : dims) {
            // Every shape once plain; padding and beta 1 on a spread of them.
            const int64_t pad = ((m + n + k) % 3 == 0) ? 5 : 0;
            const float beta = ((m * n + k) % 2 == 0) ? 1.0f : 0.0f;
            const Case c{ta, tb, m, n, k, pad, beta};
            Check(c, nullptr, &rng);
            Check(c, &pool, &rng);
          }
        }
      }
    }
  }
}

TEST(GemmTest, BetaZeroAndOneWithPaddingOnEveryTranspose) {
  ThreadPool pool(2);
  std::mt19937 rng(11);
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (float beta : {0.0f, 1.0f}) {
        for (int64_t pad : {0, 3, 16}) {
          Check({ta, tb, 100, 513, 64, pad, beta}, &pool, &rng);
          Check({ta, tb, 513, 100, 64, pad, beta}, &pool, &rng);
          Check({ta, tb, 1, 513, 100, pad, beta}, &pool, &rng);
        }
      }
    }
  }
}

// The MLP and convolution shapes the split was tuned on, through a pool.
TEST(GemmTest, MatchesReferenceOnModelShapes) {
  ThreadPool pool(2);
  std::mt19937 rng(3);
  const Case cases[] = {{false, false, 64, 512, 784, 0, 0.0f},
                        {false, false, 64, 10, 512, 0, 0.0f},
                        {false, false, 1, 512, 784, 0, 0.0f},
                        {false, false, 4608, 64, 288, 0, 0.0f},
                        {true, false, 784, 512, 64, 0, 0.0f},
                        {false, true, 64, 784, 512, 0, 1.0f}};
  for (const Case& c : cases) Check(c, &pool, &rng);
}

TEST(GemmTest, EmptyProducts) {
  ThreadPool pool(2);
  // k == 0: no terms, so C becomes beta * C.
  std::vector<float> c(6, std::numeric_limits<float>::quiet_NaN());
  Sgemm(&pool, false, false, 2, 3, 0, nullptr, 1, nullptr, 3, 0.0f, c.data(), 3);
  for (float x : c) EXPECT_EQ(x, 0.0f);
  std::vector<float> d = {1, 2, 3, 4, 5, 6};
  Sgemm(&pool, false, false, 2, 3, 0, nullptr, 1, nullptr, 3, 1.0f, d.data(), 3);
  EXPECT_EQ(d, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  // m or n == 0: nothing to write.
  Sgemm(&pool, false, false, 0, 3, 4, nullptr, 4, nullptr, 3, 0.0f, nullptr, 3);
  Sgemm(&pool, false, false, 3, 0, 4, nullptr, 4, nullptr, 1, 0.0f, nullptr, 1);
}

TEST(GemmTest, KnownSmallProduct) {
  // [[1,2,3],[4,5,6]] x [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]
  const std::vector<float> a = {1, 2, 3, 4, 5, 6}, b = {7, 8, 9, 10, 11, 12};
  std::vector<float> c(4);
  Sgemm(nullptr, false, false, 2, 2, 3, a.data(), 3, b.data(), 2, 0.0f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{58, 64, 139, 154}));
  // The same with A given transposed ([3,2]) and B transposed ([2,3]).
  const std::vector<float> at = {1, 4, 2, 5, 3, 6}, bt = {7, 9, 11, 8, 10, 12};
  std::vector<float> c2(4);
  Sgemm(nullptr, true, true, 2, 2, 3, at.data(), 2, bt.data(), 3, 0.0f, c2.data(), 2);
  EXPECT_EQ(c2, (std::vector<float>{58, 64, 139, 154}));
}

// The split depends on the shape and the pool size only: repeated runs on
// the same pool give the same bits.
TEST(GemmTest, SameShapeAndPoolGiveTheSameBits) {
  ThreadPool pool(2);
  std::mt19937 rng(5);
  const int64_t m = 64, n = 512, k = 784;
  const std::vector<float> a = Random(m * k, &rng), b = Random(k * n, &rng);
  std::vector<float> first(m * n);
  Sgemm(&pool, false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, first.data(), n);
  for (int run = 0; run < 20; ++run) {
    std::vector<float> again(m * n);
    Sgemm(&pool, false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, again.data(), n);
    ASSERT_EQ(again, first) << "run " << run;
  }
}

// The block callback sees every element of C exactly once, after it is final.
TEST(GemmTest, BlockCallbackTilesCOnceWithFinishedValues) {
  ThreadPool pool(2);
  std::mt19937 rng(13);
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{64, 512, 784}, {513, 100, 64},
                         {1, 7, 2}, {3, 5, 0}}) {
    const std::vector<float> a = Random(m * k, &rng), b = Random(k * n, &rng);
    std::vector<float> want(m * n), got(m * n);
    SgemmReference(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, want.data(), n);
    std::vector<std::atomic<int>> seen(m * n);
    std::atomic<bool> close{true};
    const int64_t ld = n;  // clang 14 lambdas cannot capture structured bindings
    Sgemm(&pool, false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, got.data(), n,
          [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
            for (int64_t i = r0; i < r1; ++i) {
              for (int64_t j = c0; j < c1; ++j) {
                seen[i * ld + j].fetch_add(1);
                if (std::abs(got[i * ld + j] - want[i * ld + j]) > 1e-3f) close = false;
              }
            }
          });
    for (int64_t i = 0; i < m * n; ++i) ASSERT_EQ(seen[i].load(), 1) << m << "x" << n << "x" << k;
    EXPECT_TRUE(close.load()) << m << "x" << n << "x" << k;
  }
}

TEST(GemmTest, CodeGenerationIsIdempotentAndConcurrentCallsAgree) {
  GenerateGemmCode();
  GenerateGemmCode();
  std::mt19937 rng(9);
  const int64_t m = 33, n = 70, k = 45;
  const std::vector<float> a = Random(m * k, &rng), b = Random(k * n, &rng);
  std::vector<float> want(m * n);
  SgemmReference(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, want.data(), n);
  std::vector<std::vector<float>> got(4, std::vector<float>(m * n));
  std::vector<std::thread> threads;
  for (auto& g : got) {
    threads.emplace_back([&, out = g.data()] {
      Sgemm(nullptr, false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, out, n);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) {
    for (int64_t i = 0; i < m * n; ++i) ASSERT_NEAR(g[i], want[i], 1e-4f) << i;
  }
}

// Caps the SIMD level for a scope.
class SimdCap {
 public:
  explicit SimdCap(SimdLevel level) : saved_(SetSimdLevelCap(level)) {}
  ~SimdCap() { SetSimdLevelCap(saved_); }

 private:
  SimdLevel saved_;
};

std::vector<SimdLevel> AvailableLevels() {
  std::vector<SimdLevel> levels;
  for (SimdLevel l : {SimdLevel::kBaseline, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (static_cast<int>(l) <= static_cast<int>(DetectedSimdLevel())) levels.push_back(l);
  }
  return levels;
}

// The small-m kernels at every level this CPU has, on shapes around their
// tiles (vector widths 4, 8 and 16; passes of 1 to 8 rows; 4 columns and a
// masked remainder along k for the transposed B), against Eigen. The levels
// do not give the same bits (AVX2 and AVX-512 fuse each multiply-add, the
// baseline rounds twice, and the lanes sum k in different orders), so each is
// held to Check's bound: about k + 2 roundings of the largest magnitude, what
// any summation order of k terms in [-1, 1] stays within.
TEST(GemmTest, SmallKernelsMatchReferenceAtEveryLevel) {
  std::mt19937 rng(17);
  const int64_t ms[] = {1, 2, 3, 4, 5, 7, 8, 9, 17};
  const int64_t ns[] = {1, 3, 4, 5, 8, 15, 16, 17, 33, 64, 97, 129, 130};
  const int64_t ks[] = {0, 1, 3, 4, 7, 16, 17, 33, 100};
  for (SimdLevel level : AvailableLevels()) {
    SimdCap cap(level);
    SCOPED_TRACE(SimdLevelName(level));
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        for (int64_t m : ms) {
          for (int64_t n : ns) {
            for (int64_t k : ks) {
              const int64_t pad = (m + n + k) % 3 == 0 ? 3 : ((m + n + k) % 3 == 1 ? 0 : 16);
              const float beta = (n + k) % 3 == 0 ? 0.0f : ((n + k) % 3 == 1 ? 1.0f : 0.5f);
              Check({ta, tb, m, n, k, pad, beta}, nullptr, &rng, /*small=*/true);
            }
          }
        }
      }
    }
  }
}

// Through Sgemm at the threshold (m = 8 small, 9 oneDNN) and on the MLP's
// batch-1 shapes, split across a pool, at every level.
TEST(GemmTest, SmallPathThroughSgemmAtEveryLevel) {
  ThreadPool pool(2);
  std::mt19937 rng(19);
  for (SimdLevel level : AvailableLevels()) {
    SimdCap cap(level);
    SCOPED_TRACE(SimdLevelName(level));
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        for (float beta : {0.0f, 1.0f}) {
          for (int64_t m : {kSmallGemmMaxM, kSmallGemmMaxM + 1}) {
            Check({ta, tb, m, 513, 100, 5, beta}, &pool, &rng);
          }
          Check({ta, tb, 1, 512, 784, 0, beta}, &pool, &rng);
          Check({ta, tb, 1, 10, 512, 1, beta}, &pool, &rng);
          Check({ta, tb, 8, 512, 784, 0, beta}, &pool, &rng);
        }
      }
    }
  }
}

// Either side of the packed kernel's limits (at most 128 rows, at least 64
// columns), at every level: below AVX-512 the same products go to oneDNN.
TEST(GemmTest, PackedPathBoundaryThroughSgemmAtEveryLevel) {
  ThreadPool pool(2);
  std::mt19937 rng(23);
  for (SimdLevel level : AvailableLevels()) {
    SimdCap cap(level);
    SCOPED_TRACE(SimdLevelName(level));
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        for (int64_t m : {9, 127, 128, 129}) {
          Check({ta, tb, m, 300, 333, 3, (m % 2) ? 1.0f : 0.0f}, &pool, &rng);
        }
        for (int64_t n : {10, 63, 64}) Check({ta, tb, 64, n, 784, 0, 0.0f}, &pool, &rng);
      }
    }
  }
}

// A product on the small path gives the same bits inline and on pools of any
// size: every element of C is summed in the same order whichever block of
// columns it falls in.
TEST(GemmTest, SmallPathGivesTheSameBitsWhateverThePool) {
  ThreadPool pool1(1), pool2(2), pool3(3);
  std::mt19937 rng(23);
  for (bool tb : {false, true}) {
    for (int64_t m : {1, 3, 8}) {
      const int64_t n = 1000, k = 784;
      const std::vector<float> a = Random(m * k, &rng), b = Random(k * n, &rng);
      const int64_t ldb = tb ? k : n;
      std::vector<float> want(m * n);
      Sgemm(nullptr, false, tb, m, n, k, a.data(), k, b.data(), ldb, 0.0f, want.data(), n);
      for (ThreadPool* pool : {&pool1, &pool2, &pool3}) {
        for (int run = 0; run < 3; ++run) {
          std::vector<float> got(m * n);
          Sgemm(pool, false, tb, m, n, k, a.data(), k, b.data(), ldb, 0.0f, got.data(), n);
          ASSERT_EQ(got, want) << "m=" << m << " tb=" << tb << " threads=" << pool->num_threads();
        }
      }
      // And SgemmSmall on an unaligned block of columns matches those columns.
      const int64_t j0 = 37, cols = 301;
      std::vector<float> part(m * n, 0.0f);
      SgemmSmall(false, tb, m, cols, k, a.data(), k, tb ? b.data() + j0 * ldb : b.data() + j0,
                 ldb, 0.0f, part.data() + j0, n);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = j0; j < j0 + cols; ++j) {
          ASSERT_EQ(part[i * n + j], want[i * n + j]) << i << "," << j;
        }
      }
    }
  }
}

}  // namespace
}  // namespace savedmodel::kernels
