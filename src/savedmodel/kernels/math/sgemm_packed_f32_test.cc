#include "savedmodel/kernels/math/sgemm_packed_f32.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "savedmodel/base/cpu_features.h"
#include "savedmodel/base/thread_pool.h"

namespace savedmodel::kernels {
namespace {

struct Case {
  bool ta, tb;
  int64_t m, n, k;
  int64_t pad;  // added to every leading dimension (odd strides)
  float beta;
};

std::string Describe(const Case& c) {
  return "ta=" + std::to_string(c.ta) + " tb=" + std::to_string(c.tb) + " m=" +
         std::to_string(c.m) + " n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) +
         " pad=" + std::to_string(c.pad) + " beta=" + std::to_string(c.beta);
}

std::vector<float> Random(int64_t size, std::mt19937* rng) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(size);
  for (float& x : v) x = d(*rng);
  return v;
}

struct Operands {
  int64_t lda, ldb, ldc;
  std::vector<float> a, b, c;
};

Operands Make(const Case& c, std::mt19937* rng) {
  Operands o;
  const int64_t a_rows = c.ta ? c.k : c.m, a_cols = c.ta ? c.m : c.k;
  const int64_t b_rows = c.tb ? c.n : c.k, b_cols = c.tb ? c.k : c.n;
  o.lda = a_cols + c.pad;
  o.ldb = b_cols + c.pad;
  o.ldc = c.n + c.pad;
  o.a = Random(a_rows * o.lda, rng);
  o.b = Random(b_rows * o.ldb, rng);
  o.c = Random(c.m * o.ldc, rng);
  if (c.beta == 0.0f) {
    // beta 0 means C is not read: NaNs there must not reach the result.
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) o.c[i * o.ldc + j] = std::numeric_limits<float>::quiet_NaN();
    }
  }
  return o;
}

// SgemmPacked against a naive double-precision product of the same floats.
// A float sum of k products, each rounded (FMA: once per term), is within
// gamma_k = k u / (1 - k u) of the exact sum relative to sum |a||b| (u =
// 2^-24; Higham, Accuracy and Stability, 3.1); the bound used is 2 k u of
// sum |a||b| (plus u |beta c|), which covers gamma_k for every k here with
// room for the final add to C. Checks that the padding between C's rows is
// left alone too.
void Check(const Case& c, ThreadPool* pool, std::mt19937* rng) {
  Operands o = Make(c, rng);
  std::vector<float> got = o.c;
  SgemmPacked(pool, c.ta, c.tb, c.m, c.n, c.k, o.a.data(), o.lda, o.b.data(), o.ldb, c.beta,
              got.data(), o.ldc, GemmBlockFn());
  const double u = std::ldexp(1.0, -24);
  int bad = 0;
  for (int64_t i = 0; i < c.m && bad < 5; ++i) {
    for (int64_t j = 0; j < c.n && bad < 5; ++j) {
      double sum = 0, mag = 0;
      for (int64_t p = 0; p < c.k; ++p) {
        const double x = c.ta ? o.a[p * o.lda + i] : o.a[i * o.lda + p];
        const double y = c.tb ? o.b[j * o.ldb + p] : o.b[p * o.ldb + j];
        sum += x * y;
        mag += std::fabs(x * y);
      }
      double want = sum, tol = 2.0 * static_cast<double>(c.k) * u * mag;
      if (c.beta != 0.0f) {
        const double old = static_cast<double>(c.beta) * o.c[i * o.ldc + j];
        want += old;
        tol += 2.0 * u * (std::fabs(old) + std::fabs(want));
      }
      const double g = got[i * o.ldc + j];
      if (!(std::fabs(g - want) <= tol)) {
        ADD_FAILURE() << Describe(c) << " at (" << i << ", " << j << "): got " << g << " want "
                      << want << " tol " << tol;
        ++bad;
      }
    }
    for (int64_t j = c.n; j < o.ldc; ++j) {
      if (std::memcmp(&got[i * o.ldc + j], &o.c[i * o.ldc + j], sizeof(float)) != 0) {
        ADD_FAILURE() << Describe(c) << ": padding of C changed at (" << i << ", " << j << ")";
        ++bad;
      }
    }
  }
}

class SgemmPackedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SgemmPackedAvailable()) GTEST_SKIP() << "no AVX-512F on this CPU";
  }
};

// Dimensions at the kernel's edges (14 rows, 32 columns), the row block
// (168), primes, 1, and a few past them.
const int64_t kDims[] = {1, 2, 3, 7, 13, 14, 15, 16, 17, 28, 31, 32, 33, 47,
                         63, 64, 65, 97, 127, 167, 168, 169, 191, 256, 263, 300};
// k around the pass length (at most 320 terms, k split into equal passes).
const int64_t kDepths[] = {0, 1, 2, 5, 8, 17, 63, 256, 300, 319, 320, 321, 639, 640, 641};

TEST_F(SgemmPackedTest, MatchesDoubleReferenceOverShapesTransposesStridesAndBeta) {
  std::mt19937 rng(12);
  ThreadPool pool(2);
  std::uniform_int_distribution<int> dim(0, std::size(kDims) - 1), depth(0, std::size(kDepths) - 1);
  for (int trial = 0; trial < 120; ++trial) {
    const int64_t m = kDims[dim(rng)], n = kDims[dim(rng)], k = kDepths[depth(rng)];
    const int64_t pad = trial % 3 == 0 ? 0 : trial % 3 == 1 ? 1 : 7;
    const float beta = trial % 2 == 0 ? 0.0f : 1.0f;
    for (int t = 0; t < 4; ++t) {
      Check({(t & 1) != 0, (t & 2) != 0, m, n, k, pad, beta}, trial % 4 == 0 ? nullptr : &pool,
            &rng);
    }
  }
}

TEST_F(SgemmPackedTest, EveryRowAndColumnRemainder) {
  std::mt19937 rng(13);
  for (int64_t m = 1; m <= 30; ++m) {
    for (int64_t n : {1, 15, 16, 17, 31, 33, 48, 63}) {
      for (int t = 0; t < 4; ++t) Check({(t & 1) != 0, (t & 2) != 0, m, n, 9, 3, 0.0f}, nullptr, &rng);
    }
  }
}

TEST_F(SgemmPackedTest, BlockEdgesAndOtherBeta) {
  std::mt19937 rng(14);
  ThreadPool pool(1);
  // Column blocks of 1024, row blocks of 168, passes of up to 320 terms.
  const Case cases[] = {{false, false, 5, 1025, 33, 0, 0.0f},   {true, true, 3, 1100, 20, 2, 1.0f},
                        {false, true, 337, 40, 700, 1, 0.0f},  {true, false, 170, 65, 961, 0, 1.0f},
                        {false, false, 300, 300, 300, 5, 0.5f}, {true, true, 29, 31, 0, 1, 0.0f},
                        {false, false, 29, 31, 0, 1, 1.0f},    {false, false, 29, 31, 0, 1, -2.0f}};
  for (const Case& c : cases) {
    Check(c, nullptr, &rng);
    Check(c, &pool, &rng);
  }
}

TEST_F(SgemmPackedTest, ModelShapes) {
  std::mt19937 rng(15);
  ThreadPool pool(1);
  // The MNIST MLP at batch 64, the convnet's dense layer and its convs by
  // im2col at batch 1, with the transposes a backward pass uses.
  const Case cases[] = {{false, false, 64, 512, 784, 0, 0.0f}, {false, true, 64, 128, 2304, 0, 0.0f},
                        {true, false, 784, 512, 64, 0, 1.0f},  {false, false, 576, 64, 288, 0, 0.0f},
                        {false, true, 64, 784, 512, 0, 0.0f}};
  for (const Case& c : cases) Check(c, &pool, &rng);
}

TEST_F(SgemmPackedTest, SameBitsWhateverThePool) {
  std::mt19937 rng(16);
  ThreadPool one(1), two(2), three(3);
  ThreadPool* pools[] = {nullptr, &one, &two, &three};
  // Large enough to split by columns (m < n) and by rows, on every transpose.
  const Case cases[] = {{false, false, 64, 512, 784, 1, 0.0f},  {true, true, 64, 512, 784, 0, 1.0f},
                        {false, true, 1500, 70, 333, 0, 0.0f}, {true, false, 1500, 70, 333, 3, 1.0f},
                        {false, false, 400, 2100, 50, 0, 0.0f}};
  for (const Case& c : cases) {
    Operands o = Make(c, &rng);
    std::vector<float> first;
    for (ThreadPool* pool : pools) {
      std::vector<float> got = o.c;
      SgemmPacked(pool, c.ta, c.tb, c.m, c.n, c.k, o.a.data(), o.lda, o.b.data(), o.ldb, c.beta,
                  got.data(), o.ldc, GemmBlockFn());
      if (first.empty()) {
        first = got;
      } else {
        EXPECT_EQ(0, std::memcmp(first.data(), got.data(), got.size() * sizeof(float)))
            << Describe(c) << " pool of " << (pool ? pool->num_threads() : 0);
      }
    }
  }
}

TEST_F(SgemmPackedTest, BlockCallbackTilesCOnceWithFinishedValues) {
  std::mt19937 rng(17);
  ThreadPool pool(2);
  const Case cases[] = {{false, false, 400, 1300, 700, 0, 0.0f}, {true, false, 2000, 50, 40, 0, 1.0f},
                        {false, true, 7, 9, 0, 0, 0.0f}};
  for (const Case& c : cases) {
    Operands o = Make(c, &rng);
    std::vector<float> got = o.c, seen(c.m * o.ldc, 0.0f);
    std::vector<int> count(c.m * c.n, 0);
    std::mutex mu;
    SgemmPacked(&pool, c.ta, c.tb, c.m, c.n, c.k, o.a.data(), o.lda, o.b.data(), o.ldb, c.beta,
                got.data(), o.ldc, [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
                  std::lock_guard<std::mutex> lock(mu);
                  for (int64_t i = r0; i < r1; ++i) {
                    for (int64_t j = c0; j < c1; ++j) {
                      ++count[i * c.n + j];
                      seen[i * o.ldc + j] = got[i * o.ldc + j];
                    }
                  }
                });
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) {
        ASSERT_EQ(1, count[i * c.n + j]) << Describe(c) << " at " << i << ", " << j;
        // The value the callback saw is the final one.
        ASSERT_EQ(got[i * o.ldc + j], seen[i * o.ldc + j]) << Describe(c) << " at " << i << ", " << j;
      }
    }
  }
}

TEST(SgemmPackedAvailability, FollowsTheSimdCap) {
  const SimdLevel saved = SetSimdLevelCap(SimdLevel::kAvx2);
  EXPECT_FALSE(SgemmPackedAvailable());
  SetSimdLevelCap(saved);
  EXPECT_EQ(SgemmPackedAvailable(), ActiveSimdLevel() >= SimdLevel::kAvx512);
}

}  // namespace
}  // namespace savedmodel::kernels
