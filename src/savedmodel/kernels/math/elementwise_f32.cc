#include "savedmodel/kernels/math/elementwise_f32.h"

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

#define SM_LEVEL(Suffix, Attr)                                                              \
  Attr void BinaryRange##Suffix(BinaryOp op, Operand a, Operand b, float* z, int64_t cols, \
                                int64_t begin, int64_t end) {                              \
    BinaryAny(op, a, b, z, cols, begin, end);                                              \
  }                                                                                        \
  Attr void Unary##Suffix(UnaryOp op, const float* x, float* y, int64_t n, float alpha) {  \
    UnaryAny(op, x, y, n, alpha);                                                          \
  }                                                                                        \
  Attr float Max##Suffix(const float* x, int64_t n) { return MaxAny(x, n); }

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

#undef SM_DISPATCH
#undef SM_INLINE

}  // namespace savedmodel::kernels::f32
