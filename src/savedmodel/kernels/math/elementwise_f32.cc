#include "savedmodel/kernels/math/elementwise_f32.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "savedmodel/base/cpu_features.h"

namespace savedmodel::kernels::f32 {
namespace {

// The loops are written once, forced inline into one wrapper per level whose
// target attribute lets the vectorizer use that level's registers. They live
// in this file only (internal linkage), so no inline function is compiled for
// two targets under one name (the ODR trap of mixing -m flags across files).
#define SM_INLINE [[gnu::always_inline]] inline

// Select forms of the scalar functions of binary_ops.cc and unary_ops.cc,
// equal for every input (NaN and signed zeros included), which the
// vectorizer turns into compares and blends.
struct AddF { SM_INLINE static float F(float a, float b) { return a + b; } };
struct SubF { SM_INLINE static float F(float a, float b) { return a - b; } };
struct MulF { SM_INLINE static float F(float a, float b) { return a * b; } };
struct DivF { SM_INLINE static float F(float a, float b) { return a / b; } };
struct MaxF {
  SM_INLINE static float F(float a, float b) {
    float r = a < b ? b : a;
    r = b != b ? b : r;
    return a != a ? a : r;
  }
};
struct MinF {
  SM_INLINE static float F(float a, float b) {
    float r = b < a ? b : a;
    r = b != b ? b : r;
    return a != a ? a : r;
  }
};
struct SqDiffF {
  SM_INLINE static float F(float a, float b) {
    const float d = a - b;
    return d * d;
  }
};

// One row of n outputs; an operand that is not a vector repeats its value.
template <typename Op, bool kAVec, bool kBVec>
SM_INLINE void Row(const float* a, const float* b, float* z, int64_t n) {
  const float as = *a, bs = *b;
  for (int64_t i = 0; i < n; ++i) z[i] = Op::F(kAVec ? a[i] : as, kBVec ? b[i] : bs);
}

template <typename Op>
SM_INLINE void BinaryImpl(Operand a, Operand b, float* z, int64_t cols, int64_t begin,
                          int64_t end) {
  int64_t r = begin / cols, c = begin % cols;
  for (int64_t i = begin; i < end; c = 0, ++r) {
    const int64_t len = cols - c < end - i ? cols - c : end - i;
    const float* ap = a.p + r * a.row_stride + c * a.col_step;
    const float* bp = b.p + r * b.row_stride + c * b.col_step;
    if (a.col_step != 0 && b.col_step != 0) {
      Row<Op, true, true>(ap, bp, z + i, len);
    } else if (a.col_step != 0) {
      Row<Op, true, false>(ap, bp, z + i, len);
    } else {
      Row<Op, false, true>(ap, bp, z + i, len);
    }
    i += len;
  }
}

SM_INLINE void BinaryAny(BinaryOp op, Operand a, Operand b, float* z, int64_t cols,
                         int64_t begin, int64_t end) {
  switch (op) {
    case BinaryOp::kAdd: return BinaryImpl<AddF>(a, b, z, cols, begin, end);
    case BinaryOp::kSub: return BinaryImpl<SubF>(a, b, z, cols, begin, end);
    case BinaryOp::kMul: return BinaryImpl<MulF>(a, b, z, cols, begin, end);
    case BinaryOp::kDiv: return BinaryImpl<DivF>(a, b, z, cols, begin, end);
    case BinaryOp::kMaximum: return BinaryImpl<MaxF>(a, b, z, cols, begin, end);
    case BinaryOp::kMinimum: return BinaryImpl<MinF>(a, b, z, cols, begin, end);
    case BinaryOp::kSquaredDifference: return BinaryImpl<SqDiffF>(a, b, z, cols, begin, end);
  }
}

SM_INLINE void UnaryAny(UnaryOp op, const float* x, float* y, int64_t n, float alpha) {
  switch (op) {
    case UnaryOp::kRelu:
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] < 0.f ? 0.f : x[i];
      return;
    case UnaryOp::kRelu6:
      for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        y[i] = v < 0.f ? 0.f : (v > 6.f ? 6.f : v);
      }
      return;
    case UnaryOp::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        y[i] = v > 0.f ? v : alpha * v;
      }
      return;
  }
}

// Lane-wise folds then a fold of the lanes: the maximum is the same whichever
// order finds it (only the sign of a zero maximum may differ).
SM_INLINE float MaxAny(const float* x, int64_t n) {
  constexpr int kLanes = 16;
  float m[kLanes];
  for (float& v : m) v = -std::numeric_limits<float>::infinity();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) m[l] = m[l] < x[i + l] ? x[i + l] : m[l];
  }
  float r = -std::numeric_limits<float>::infinity();
  for (float v : m) r = r < v ? v : r;
  for (; i < n; ++i) r = r < x[i] ? x[i] : r;
  return r;
}

SM_INLINE void BiasActivationAny(BiasAct act, float* y, int64_t ld, int64_t rows, int64_t cols,
                                  const float* bias, float alpha) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = y + r * ld;
    switch (act) {
      case BiasAct::kNone:
        for (int64_t j = 0; j < cols; ++j) row[j] = row[j] + bias[j];
        break;
      case BiasAct::kRelu:
        for (int64_t j = 0; j < cols; ++j) {
          const float v = row[j] + bias[j];
          row[j] = v < 0.f ? 0.f : v;
        }
        break;
      case BiasAct::kRelu6:
        for (int64_t j = 0; j < cols; ++j) {
          const float v = row[j] + bias[j];
          row[j] = v < 0.f ? 0.f : (v > 6.f ? 6.f : v);
        }
        break;
      case BiasAct::kLeakyRelu:
        for (int64_t j = 0; j < cols; ++j) {
          const float v = row[j] + bias[j];
          row[j] = v > 0.f ? v : v * alpha;
        }
        break;
    }
  }
}

// a where c holds, else b, as a blend of bits: GCC's vectorizer does not take
// `c ? a : b` after a chain of float operations under trapping math (it sinks
// the chain into the branch).
SM_INLINE float Select(bool c, float a, float b) {
  const uint32_t m = 0u - static_cast<uint32_t>(c);
  return std::bit_cast<float>((m & std::bit_cast<uint32_t>(a)) | (~m & std::bit_cast<uint32_t>(b)));
}

// e^x as Cephes' expf and Eigen's pexp compute it, branch-free so the loops
// around it vectorize: k = round(x / ln 2) by adding 1.5 * 2^23 (the sum's low
// mantissa bits then hold k), r = x - k ln 2 in two steps (the first exact:
// ln2_hi has 9 significant bits and |k| <= 150 has 8), e^r by Cephes'
// polynomial on |r| <= ln 2 / 2, then 2^k applied as two factors 2^(k/2) so
// neither leaves the normal range: the first product is exact, the second
// rounds once, into the denormals too. Outside [-104, 89] the result is fixed
// afterwards (+0 below, where e^x rounds to 0 already; +inf above, where it
// overflows already; NaN for NaN), so the integer arithmetic is unsigned and
// wraps harmlessly there.
SM_INLINE float ExpOne(float x) {
  constexpr float kRound = 12582912.f;
  const float big = x * 1.44269504088896341f + kRound;
  const float kf = big - kRound;
  const float r0 = x - kf * 0.693359375f;
  const float r = r0 - kf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = (p * (r * r) + r) + 1.f;
  const uint32_t k = std::bit_cast<uint32_t>(big) - std::bit_cast<uint32_t>(kRound);
  const uint32_t k1 = static_cast<uint32_t>(static_cast<int32_t>(k) >> 1), k2 = k - k1;
  const float s1 = std::bit_cast<float>((k1 + 127u) << 23);
  const float s2 = std::bit_cast<float>((k2 + 127u) << 23);
  float v = (e * s1) * s2;
  const float quiet = x + x;
  v = Select(x > 89.f, std::numeric_limits<float>::infinity(), v);
  v = Select(x < -104.f, 0.f, v);
  return Select(x != x, quiet, v);
}

SM_INLINE void ExpAny(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = ExpOne(x[i]);
}

// Lane-wise sums then a sum of the lanes, so the loop vectorizes (a single
// running sum would not without reassociation); the same order at every level.
SM_INLINE float SumAny(const float* x, int64_t n) {
  constexpr int kLanes = 16;
  float s[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) s[l] += x[i + l];
  }
  float r = 0.f;
  for (; i < n; ++i) r += x[i];
  for (float v : s) r += v;
  return r;
}

// Softmax: y = x - max per row, then one exp over all the rows at once (so
// rows of 10 classes still fill the vectors), then each row scaled by
// 1 / its sum. LogSoftmax sums the exps through a buffer on the stack and
// keeps y = x - max - log(sum).
SM_INLINE void SoftmaxRowsAny(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float m = MaxAny(xr, cols);
    for (int64_t j = 0; j < cols; ++j) yr[j] = xr[j] - m;
  }
  if (!log) {
    ExpAny(y, y, rows * cols);
    for (int64_t r = 0; r < rows; ++r) {
      float* yr = y + r * cols;
      const float inv = 1.f / SumAny(yr, cols);
      for (int64_t j = 0; j < cols; ++j) yr[j] *= inv;
    }
    return;
  }
  constexpr int64_t kChunk = 256;
  float e[kChunk];
  for (int64_t r = 0; r < rows; ++r) {
    float* yr = y + r * cols;
    float sum = 0.f;
    for (int64_t j = 0; j < cols; j += kChunk) {
      const int64_t len = cols - j < kChunk ? cols - j : kChunk;
      ExpAny(yr + j, e, len);
      sum += SumAny(e, len);
    }
    const float log_sum = std::log(sum);
    for (int64_t j = 0; j < cols; ++j) yr[j] -= log_sum;
  }
}

#define SM_LEVEL(Suffix, Attr)                                                              \
  Attr void BinaryRange##Suffix(BinaryOp op, Operand a, Operand b, float* z, int64_t cols, \
                                int64_t begin, int64_t end) {                              \
    BinaryAny(op, a, b, z, cols, begin, end);                                              \
  }                                                                                        \
  Attr void Unary##Suffix(UnaryOp op, const float* x, float* y, int64_t n, float alpha) {  \
    UnaryAny(op, x, y, n, alpha);                                                          \
  }                                                                                        \
  Attr float Max##Suffix(const float* x, int64_t n) { return MaxAny(x, n); }                \
  Attr void BiasActivation##Suffix(BiasAct act, float* y, int64_t ld, int64_t rows,          \
                                   int64_t cols, const float* bias, float alpha) {           \
    BiasActivationAny(act, y, ld, rows, cols, bias, alpha);                                  \
  }                                                                                          \
  Attr void Exp##Suffix(const float* x, float* y, int64_t n) { ExpAny(x, y, n); }            \
  Attr void SoftmaxRows##Suffix(const float* x, float* y, int64_t rows, int64_t cols,        \
                                bool log) {                                                  \
    SoftmaxRowsAny(x, y, rows, cols, log);                                                   \
  }

#if defined(__x86_64__) && defined(__GNUC__)
SM_LEVEL(Avx512, __attribute__((target("avx512f"))))
SM_LEVEL(Avx2, __attribute__((target("avx2"))))
#endif
SM_LEVEL(Base, )
#undef SM_LEVEL

}  // namespace

#if defined(__x86_64__) && defined(__GNUC__)
#define SM_DISPATCH(Name, ...)                                              \
  switch (ActiveSimdLevel()) {                                              \
    case SimdLevel::kAvx512: return Name##Avx512(__VA_ARGS__);              \
    case SimdLevel::kAvx2: return Name##Avx2(__VA_ARGS__);                  \
    case SimdLevel::kBaseline: break;                                       \
  }                                                                         \
  return Name##Base(__VA_ARGS__)
#else
#define SM_DISPATCH(Name, ...) return Name##Base(__VA_ARGS__)
#endif

void BinaryRange(BinaryOp op, Operand a, Operand b, float* z, int64_t cols, int64_t begin,
                 int64_t end) {
  if (begin >= end) return;
  SM_DISPATCH(BinaryRange, op, a, b, z, cols, begin, end);
}

void Unary(UnaryOp op, const float* x, float* y, int64_t n, float alpha) {
  if (n <= 0) return;
  SM_DISPATCH(Unary, op, x, y, n, alpha);
}

float Max(const float* x, int64_t n) { SM_DISPATCH(Max, x, n); }

void BiasActivation(BiasAct act, float* y, int64_t ld, int64_t rows, int64_t cols,
                    const float* bias, float alpha) {
  if (rows <= 0 || cols <= 0) return;
  SM_DISPATCH(BiasActivation, act, y, ld, rows, cols, bias, alpha);
}

void Exp(const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  SM_DISPATCH(Exp, x, y, n);
}

void SoftmaxRows(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  if (rows <= 0 || cols <= 0) return;
  SM_DISPATCH(SoftmaxRows, x, y, rows, cols, log);
}

#undef SM_DISPATCH
#undef SM_INLINE

}  // namespace savedmodel::kernels::f32
