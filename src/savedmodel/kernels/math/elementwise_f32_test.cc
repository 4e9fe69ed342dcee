// The vectorized float32 loops against references written from TensorFlow's
// definitions, at every instruction-set level this CPU has, bit for bit; and
// the kernels that use them against the same ops on double inputs, which take
// the generic scalar loops (float(a op b) computed in double is the correctly
// rounded float result for + - * /, so the two must agree exactly).
#include "savedmodel/kernels/math/elementwise_f32.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "savedmodel/base/cpu_features.h"
#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/testing/kernel_test_helpers.h"

namespace savedmodel {
namespace {

namespace f32 = kernels::f32;
using testing::OpTest;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Every level up to the detected one; restores the cap when done.
class EachLevel {
 public:
  EachLevel() : saved_(SetSimdLevelCap(SimdLevel::kAvx512)) {}
  ~EachLevel() { SetSimdLevelCap(saved_); }
  std::vector<SimdLevel> levels() const {
    std::vector<SimdLevel> out;
    for (int l = 0; l <= static_cast<int>(DetectedSimdLevel()); ++l) {
      out.push_back(static_cast<SimdLevel>(l));
    }
    return out;
  }
  void Use(SimdLevel l) const { SetSimdLevelCap(l); }

 private:
  SimdLevel saved_;
};

// TensorFlow's element functions: Maximum/Minimum return a NaN operand (Eigen's
// PropagateNaN), Relu passes NaN and keeps -0 (max(x, 0) as x < 0 ? 0 : x).
float RefBinary(f32::BinaryOp op, float a, float b) {
  switch (op) {
    case f32::BinaryOp::kAdd: return a + b;
    case f32::BinaryOp::kSub: return a - b;
    case f32::BinaryOp::kMul: return a * b;
    case f32::BinaryOp::kDiv: return a / b;
    case f32::BinaryOp::kMaximum:
      if (std::isnan(a)) return a;
      if (std::isnan(b)) return b;
      return a < b ? b : a;
    case f32::BinaryOp::kMinimum:
      if (std::isnan(a)) return a;
      if (std::isnan(b)) return b;
      return b < a ? b : a;
    case f32::BinaryOp::kSquaredDifference: {
      const float d = a - b;
      return d * d;
    }
  }
  return 0;
}

float RefUnary(f32::UnaryOp op, float x, float alpha) {
  switch (op) {
    case f32::UnaryOp::kRelu: return x < 0 ? 0.f : x;
    case f32::UnaryOp::kRelu6: return x < 0 ? 0.f : (x > 6 ? 6.f : x);
    case f32::UnaryOp::kLeakyRelu: return x > 0 ? x : alpha * x;
  }
  return 0;
}

bool SameBits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Random values with the special ones mixed in.
std::vector<float> Values(int64_t n, std::mt19937* rng) {
  static const float kSpecial[] = {0.f, -0.f, kInf, -kInf, kNaN, 1e-40f, -3.f, 6.f, 7.f, 1e30f};
  std::uniform_real_distribution<float> u(-8, 8);
  std::uniform_int_distribution<int> pick(0, 9);
  std::vector<float> v(n);
  for (auto& x : v) x = (*rng)() % 8 == 0 ? kSpecial[pick(*rng)] : u(*rng);
  return v;
}

const f32::BinaryOp kBinaryOps[] = {f32::BinaryOp::kAdd,     f32::BinaryOp::kSub,
                                    f32::BinaryOp::kMul,     f32::BinaryOp::kDiv,
                                    f32::BinaryOp::kMaximum, f32::BinaryOp::kMinimum,
                                    f32::BinaryOp::kSquaredDifference};

TEST(ElementwiseF32Test, BinaryMatchesReferenceOnEveryLevelAndLayout) {
  EachLevel each;
  std::mt19937 rng(7);
  struct Layout {
    int64_t a_row, a_step, b_row, b_step;
  };
  for (int64_t rows : {1, 3, 5}) {
    for (int64_t cols : {1, 2, 7, 16, 17, 33, 100}) {
      const std::vector<float> a = Values(rows * cols, &rng), b = Values(rows * cols, &rng);
      const Layout layouts[] = {
          {cols, 1, cols, 1},  // same shapes
          {cols, 1, 0, 1},     // b a row vector over a
          {0, 1, cols, 1},     // a a row vector over b
          {cols, 1, 0, 0},     // b a scalar
          {0, 0, cols, 1},     // a a scalar
          {cols, 1, 1, 0},     // b a column: one value per row
          {1, 0, cols, 1},     // a a column
          {0, 1, 1, 0},        // a row against a column: an outer op
      };
      for (const Layout& l : layouts) {
        const f32::Operand ao{a.data(), l.a_row, l.a_step}, bo{b.data(), l.b_row, l.b_step};
        for (f32::BinaryOp op : kBinaryOps) {
          for (SimdLevel level : each.levels()) {
            each.Use(level);
            const int64_t n = rows * cols;
            std::vector<float> z(n, 12345.f);
            // Split anywhere, as ParallelFor does.
            const int64_t cut = n / 3 + 1;
            f32::BinaryRange(op, ao, bo, z.data(), cols, 0, std::min(cut, n));
            f32::BinaryRange(op, ao, bo, z.data(), cols, std::min(cut, n), n);
            for (int64_t i = 0; i < n; ++i) {
              const int64_t r = i / cols, c = i % cols;
              const float want = RefBinary(op, a[r * l.a_row + c * l.a_step],
                                           b[r * l.b_row + c * l.b_step]);
              ASSERT_TRUE(SameBits(z[i], want) || (std::isnan(z[i]) && std::isnan(want)))
                  << "level " << SimdLevelName(level) << " op " << static_cast<int>(op)
                  << " rows " << rows << " cols " << cols << " at " << i << ": " << z[i]
                  << " vs " << want;
            }
          }
        }
      }
    }
  }
}

TEST(ElementwiseF32Test, UnaryAndMaxMatchReferenceOnEveryLevel) {
  EachLevel each;
  std::mt19937 rng(11);
  for (int64_t n : {1, 5, 16, 31, 64, 1000}) {
    const std::vector<float> x = Values(n, &rng);
    for (SimdLevel level : each.levels()) {
      each.Use(level);
      for (f32::UnaryOp op : {f32::UnaryOp::kRelu, f32::UnaryOp::kRelu6, f32::UnaryOp::kLeakyRelu}) {
        std::vector<float> y(n);
        f32::Unary(op, x.data(), y.data(), n, 0.2f);
        for (int64_t i = 0; i < n; ++i) {
          const float want = RefUnary(op, x[i], 0.2f);
          ASSERT_TRUE(SameBits(y[i], want) || (std::isnan(y[i]) && std::isnan(want)))
              << SimdLevelName(level) << " op " << static_cast<int>(op) << " at " << i;
        }
      }
      float want = -kInf;
      for (float v : x) want = std::max(want, v);
      EXPECT_EQ(f32::Max(x.data(), n), want) << SimdLevelName(level) << " n " << n;
    }
  }
  EXPECT_EQ(f32::Max(nullptr, 0), -kInf);
}

TEST(ElementwiseF32Test, BiasActivationMatchesReferenceOnEveryLevel) {
  EachLevel each;
  std::mt19937 rng(12);
  const int64_t rows = 5, ld = 70;
  for (int64_t cols : {1, 10, 16, 33, 64}) {
    const std::vector<float> y0 = Values(rows * ld, &rng), bias = Values(cols, &rng);
    for (SimdLevel level : each.levels()) {
      each.Use(level);
      for (f32::BiasAct act : {f32::BiasAct::kNone, f32::BiasAct::kRelu, f32::BiasAct::kRelu6,
                               f32::BiasAct::kLeakyRelu}) {
        std::vector<float> y = y0;
        f32::BiasActivation(act, y.data(), ld, rows, cols, bias.data(), 0.2f);
        for (int64_t r = 0; r < rows; ++r) {
          for (int64_t c = 0; c < ld; ++c) {
            const int64_t i = r * ld + c;
            float want = y0[i];  // columns past `cols` are left alone
            if (c < cols) {
              const float v = y0[i] + bias[c];
              want = act == f32::BiasAct::kNone      ? v
                     : act == f32::BiasAct::kRelu    ? RefUnary(f32::UnaryOp::kRelu, v, 0)
                     : act == f32::BiasAct::kRelu6   ? RefUnary(f32::UnaryOp::kRelu6, v, 0)
                                                     : RefUnary(f32::UnaryOp::kLeakyRelu, v, 0.2f);
            }
            ASSERT_TRUE(SameBits(y[i], want) || (std::isnan(y[i]) && std::isnan(want)))
                << SimdLevelName(level) << " act " << static_cast<int>(act) << " cols " << cols
                << " at " << r << "," << c;
          }
        }
      }
    }
  }
}

// Distance of a float from the exact value in units of the last place of a
// float of that magnitude (2^-149 among the denormals).
double UlpError(float got, double exact) {
  const double a = std::fabs(exact);
  int e = 0;
  std::frexp(a, &e);
  const double ulp = a < 0x1p-126 ? 0x1p-149 : std::ldexp(1.0, e - 24);
  return std::fabs(static_cast<double>(got) - exact) / ulp;
}

// The vectorized exp against exp in double over a dense sample of every float
// (every 509th bit pattern, about 8.4 million, the whole range of signs and
// exponents) and the edges: within 1.5 ulp everywhere, denormal results
// included (measured: 1.01 ulp at most, at 1 in 3 of all floats, on every
// level); overflow exactly where float exp overflows.
TEST(ElementwiseF32Test, ExpWithinOneAndAHalfUlpOfExactOnEveryLevel) {
  EachLevel each;
  std::vector<float> x;
  for (uint64_t b = 0; b < (uint64_t{1} << 32); b += 509) {
    x.push_back(std::bit_cast<float>(static_cast<uint32_t>(b)));
  }
  // Edges: the last finite and first infinite result, the smallest denormal
  // result and the first zero, zeros, denormal inputs, infinities.
  for (float v : {88.72283f, 88.722839f, 88.7228394f, 89.f, 1e30f, -103.972076f, -103.972084f,
                  -103.97209f, -104.f, -87.33654f, -87.3365479f, 0.f, -0.f, 1e-45f, -1e-45f,
                  1e-40f, kInf, -kInf, kNaN, -kNaN, 1.f, -1.f, 0.34657359f, -0.34657359f}) {
    x.push_back(v);
  }
  for (SimdLevel level : each.levels()) {
    each.Use(level);
    std::vector<float> y(x.size());
    f32::Exp(x.data(), y.data(), static_cast<int64_t>(x.size()));
    double worst = 0;
    float worst_x = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const float xi = x[i];
      if (std::isnan(xi)) {
        ASSERT_TRUE(std::isnan(y[i])) << SimdLevelName(level);
        continue;
      }
      const double exact = std::exp(static_cast<double>(xi));
      // Rounds to infinity from FLT_MAX plus half its ulp on.
      if (exact >= 0x1.ffffffp127) {
        ASSERT_EQ(y[i], kInf) << SimdLevelName(level) << " exp(" << xi << ")";
        continue;
      }
      const double err = UlpError(y[i], exact);
      if (err > worst) {
        worst = err;
        worst_x = xi;
      }
    }
    EXPECT_LE(worst, 1.5) << SimdLevelName(level) << " at exp(" << worst_x << ")";
    // Spot values: exact where they must be.
    const float special[] = {0.f, -0.f, -kInf, kInf, -104.f, -200.f, 1e-45f};
    float out[7];
    f32::Exp(special, out, 7);
    EXPECT_EQ(out[0], 1.f);
    EXPECT_EQ(out[1], 1.f);
    EXPECT_TRUE(out[2] == 0.f && !std::signbit(out[2]));
    EXPECT_EQ(out[3], kInf);
    EXPECT_EQ(out[4], 0.f);
    EXPECT_EQ(out[5], 0.f);
    EXPECT_EQ(out[6], 1.f);
    // In place, any length (the vector loop's tail).
    for (int64_t n : {1, 7, 17, 100}) {
      std::vector<float> v(n);
      for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(i) * 0.25f - 3.f;
      std::vector<float> want(n);
      f32::Exp(v.data(), want.data(), n);
      f32::Exp(v.data(), v.data(), n);
      for (int64_t i = 0; i < n; ++i) ASSERT_TRUE(SameBits(v[i], want[i])) << n << " " << i;
    }
  }
}

// Moderate values: no float denormals (the session flushes them, double does not).
template <typename T>
Tensor RandomTensor(const TensorShape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-4, 4);
  std::vector<T> v(shape.num_elements());
  for (auto& x : v) x = static_cast<T>(u(rng));
  return Tensor::FromVector(v, shape);
}

Tensor ToDouble(const Tensor& t) {
  std::vector<double> v(t.num_elements());
  for (int64_t i = 0; i < t.num_elements(); ++i) v[i] = t.flat<float>()[i];
  return Tensor::FromVector(v, t.shape());
}

void ExpectFloatOfDouble(const StatusOr<Tensor>& f, const StatusOr<Tensor>& d,
                         const std::string& what) {
  ASSERT_TRUE(f.ok()) << what << ": " << f.status();
  ASSERT_TRUE(d.ok()) << what << ": " << d.status();
  ASSERT_EQ(f->shape(), d->shape()) << what;
  for (int64_t i = 0; i < f->num_elements(); ++i) {
    ASSERT_EQ(f->flat<float>()[i], static_cast<float>(d->flat<double>()[i]))
        << what << " at " << i;
  }
}

std::string ShapeStr(const TensorShape& s) { return s.DebugString(); }

TEST(ElementwiseF32Test, BinaryKernelsAgreeWithTheScalarPath) {
  EachLevel each;
  const std::vector<std::pair<TensorShape, TensorShape>> shapes = {
      {TensorShape{64, 10}, TensorShape{10}},      {TensorShape{10}, TensorShape{64, 10}},
      {TensorShape{3, 1}, TensorShape{1, 4}},      {TensorShape{5, 7}, TensorShape{5, 1}},
      {TensorShape{}, TensorShape{33}},            {TensorShape{2, 3, 4}, TensorShape{}},
      {TensorShape{1, 512}, TensorShape{512}},     {TensorShape{2, 3, 4}, TensorShape{2, 3, 4}},
      {TensorShape{2, 3, 4}, TensorShape{3, 1}},   // three collapsed dims: the scalar walk
      {TensorShape{600, 512}, TensorShape{512}},   // over kMinParallelWork: split across threads
  };
  for (SimdLevel level : each.levels()) {
    each.Use(level);
    // Not SquaredDifference: it rounds a - b before squaring, which double
    // does not (the bit-exact test above covers it).
    for (const std::string op :
         {"AddV2", "Add", "Sub", "Mul", "RealDiv", "Div", "Maximum", "Minimum"}) {
      uint32_t seed = 1;
      for (const auto& [sx, sy] : shapes) {
        const Tensor x = RandomTensor<float>(sx, seed++), y = RandomTensor<float>(sy, seed++);
        auto f = OpTest(op).IntraOpThreads(2).Input(x).Input(y).Run1();
        auto d = OpTest(op).Input(ToDouble(x)).Input(ToDouble(y)).Run1();
        ExpectFloatOfDouble(f, d, op + " " + ShapeStr(sx) + " " + ShapeStr(sy) + " " + SimdLevelName(level));
      }
    }
  }
}

TEST(ElementwiseF32Test, BiasAddAndActivationsAgreeWithTheScalarPath) {
  EachLevel each;
  for (SimdLevel level : each.levels()) {
    each.Use(level);
    const std::string at = SimdLevelName(level);
    for (const TensorShape& shape : {TensorShape{64, 10}, TensorShape{2, 5, 5, 3},
                                     TensorShape{700, 512}, TensorShape{3, 1}}) {
      const Tensor x = RandomTensor<float>(shape, 3);
      const Tensor bias = RandomTensor<float>(TensorShape{shape.dim(shape.rank() - 1)}, 4);
      ExpectFloatOfDouble(OpTest("BiasAdd").IntraOpThreads(2).Input(x).Input(bias).Run1(),
                          OpTest("BiasAdd").Input(ToDouble(x)).Input(ToDouble(bias)).Run1(),
                          "BiasAdd " + ShapeStr(shape) + " " + at);
      for (const std::string op : {"Relu", "Relu6"}) {
        ExpectFloatOfDouble(OpTest(op).IntraOpThreads(2).Input(x).Run1(),
                            OpTest(op).Input(ToDouble(x)).Run1(), op + " " + ShapeStr(shape) + " " + at);
      }
      ExpectFloatOfDouble(
          OpTest("LeakyRelu").IntraOpThreads(2).Attr("alpha", 0.3f).Input(x).Run1(),
          OpTest("LeakyRelu").Attr("alpha", 0.3f).Input(ToDouble(x)).Run1(),
          "LeakyRelu " + ShapeStr(shape) + " " + at);
    }
    // NCHW: one bias value per channel plane, split across threads for the big one.
    for (const TensorShape& shape : {TensorShape{2, 3, 4, 5}, TensorShape{4, 8, 96, 96}}) {
      const Tensor x = RandomTensor<float>(shape, 5);
      const Tensor bias = RandomTensor<float>(TensorShape{shape.dim(1)}, 6);
      ExpectFloatOfDouble(OpTest("BiasAdd").IntraOpThreads(2).Attr("data_format", "NCHW")
                              .Input(x).Input(bias).Run1(),
                          OpTest("BiasAdd").Attr("data_format", "NCHW").Input(ToDouble(x))
                              .Input(ToDouble(bias)).Run1(),
                          "BiasAdd NCHW " + ShapeStr(shape) + " " + at);
    }
  }
}

// Softmax rounds differently from the double path (exp and the running sum),
// so it is checked against the double result to float precision.
TEST(ElementwiseF32Test, SoftmaxAgreesWithDouble) {
  EachLevel each;
  for (SimdLevel level : each.levels()) {
    each.Use(level);
    for (const std::string op : {"Softmax", "LogSoftmax"}) {
      for (const TensorShape& shape : {TensorShape{64, 10}, TensorShape{3, 1000}, TensorShape{7}}) {
        const Tensor x = RandomTensor<float>(shape, 9);
        auto f = OpTest(op).IntraOpThreads(2).Input(x).Run1();
        auto d = OpTest(op).Input(ToDouble(x)).Run1();
        ASSERT_TRUE(f.ok() && d.ok());
        for (int64_t i = 0; i < x.num_elements(); ++i) {
          const double want = d->flat<double>()[i];
          EXPECT_NEAR(f->flat<float>()[i], want, 1e-5 * std::max(1.0, std::fabs(want)))
              << op << " " << ShapeStr(shape) << " at " << i;
        }
      }
    }
  }
}

// Rows that stress exp: -inf entries (exp gives exactly 0), values far
// below the max (underflow to 0 through the denormals), NaN (the whole row is
// NaN, as in TensorFlow), equal values (exactly 1/n each), one column (1).
TEST(ElementwiseF32Test, SoftmaxSpecialRows) {
  EachLevel each;
  for (SimdLevel level : each.levels()) {
    each.Use(level);
    const std::string at = SimdLevelName(level);
    const std::vector<float> x = {
        0.f,  -kInf, 1.f,    -kInf,               // row 0: -inf entries
        5.f,  -95.f, -120.f, 5.f,                 // row 1: e^-100 (a denormal), e^-125 (0)
        1.f,  kNaN,  2.f,    3.f,                 // row 2: NaN
        7.f,  7.f,   7.f,    7.f,                 // row 3: equal
        -3e38f, 3e38f, -3e38f, 3e38f,             // row 4: huge, no overflow after the shift
    };
    auto soft = OpTest("Softmax").Input(Tensor::FromVector(x, TensorShape{5, 4})).Run1();
    auto logsoft = OpTest("LogSoftmax").Input(Tensor::FromVector(x, TensorShape{5, 4})).Run1();
    ASSERT_TRUE(soft.ok() && logsoft.ok()) << at;
    auto s = [&](int r, int c) { return soft->flat<float>()[r * 4 + c]; };
    auto l = [&](int r, int c) { return logsoft->flat<float>()[r * 4 + c]; };
    const double e = std::exp(-1.0);
    EXPECT_NEAR(s(0, 0), e / (1 + e), 1e-7) << at;
    EXPECT_EQ(s(0, 1), 0.f) << at;
    EXPECT_NEAR(s(0, 2), 1 / (1 + e), 1e-7) << at;
    EXPECT_EQ(s(0, 3), 0.f) << at;
    EXPECT_EQ(l(0, 1), -kInf) << at;
    EXPECT_NEAR(l(0, 2), -std::log1p(e), 1e-7) << at;
    EXPECT_NEAR(s(1, 0), 0.5, 1e-7) << at;
    EXPECT_NEAR(s(1, 3), 0.5, 1e-7) << at;
    EXPECT_LT(s(1, 1), 1e-40f) << at;  // 0 under the session's flush of denormals
    EXPECT_EQ(s(1, 2), 0.f) << at;
    EXPECT_NEAR(l(1, 2), -125 - std::log(2.0), 1e-4) << at;
    for (int c = 0; c < 4; ++c) {
      EXPECT_TRUE(std::isnan(s(2, c))) << at;
      EXPECT_TRUE(std::isnan(l(2, c))) << at;
      EXPECT_EQ(s(3, c), 0.25f) << at;
      EXPECT_NEAR(l(3, c), -std::log(4.0), 1e-7) << at;
      EXPECT_NEAR(s(4, c), c % 2 ? 0.5 : 0.0, 1e-7) << at;
    }
    auto one = OpTest("Softmax").Input(Tensor::FromVector(std::vector<float>{-50.f, 3e38f, kInf},
                                                          TensorShape{3, 1})).Run1();
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(one->flat<float>()[0], 1.f) << at;
    EXPECT_EQ(one->flat<float>()[1], 1.f) << at;
    EXPECT_TRUE(std::isnan(one->flat<float>()[2])) << at;  // inf - inf, as TensorFlow
  }
}

}  // namespace
}  // namespace savedmodel
