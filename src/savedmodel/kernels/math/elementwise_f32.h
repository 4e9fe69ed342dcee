// Float32 elementwise loops compiled once per SimdLevel (base/cpu_features.h)
// and picked at run time: the hot paths of the binary ops, BiasAdd, the Relu
// family, the _FusedMatMul epilogue and Softmax. Every function but Exp and
// the Softmax rows gives bit for bit what the scalar expression in the op's
// kernel gives (the math is one IEEE operation or a comparison per element),
// so the kernels keep their generic loops as the reference these are tested
// against. Exp is a polynomial, as Eigen's (which TensorFlow's Softmax uses)
// is, within 2 ulp of the exact value (elementwise_f32_test.cc measures it).
#pragma once

#include <cstdint>

namespace savedmodel::kernels::f32 {

// The scalar function of each is the one in binary_ops.cc: Maximum and
// Minimum return a NaN operand, SquaredDifference is (a - b) * (a - b).
enum class BinaryOp { kAdd, kSub, kMul, kDiv, kMaximum, kMinimum, kSquaredDifference };

// A rows x cols view of an input: element (r, c) is p[r * row_stride + c * col_step],
// col_step 1 (a row of values) or 0 (one value for the whole row).
struct Operand {
  const float* p;
  int64_t row_stride;
  int64_t col_step;
};

// z[i] = op(a(r, c), b(r, c)) for the flat output indices i = r * cols + c in
// [begin, end), so ParallelFor may split anywhere.
// REQUIRES: cols > 0; a.col_step and b.col_step are 0 or 1, not both 0.
void BinaryRange(BinaryOp op, Operand a, Operand b, float* z, int64_t cols, int64_t begin,
                 int64_t end);

// Relu: x < 0 ? 0 : x (NaN passes). Relu6: also x > 6 ? 6. LeakyRelu: x > 0 ? x : alpha * x.
enum class UnaryOp { kRelu, kRelu6, kLeakyRelu };
void Unary(UnaryOp op, const float* x, float* y, int64_t n, float alpha = 0.f);

// The fold m = m < x[i] ? x[i] : m from -infinity (std::max's order: NaNs are
// skipped); -infinity when n == 0.
float Max(const float* x, int64_t n);

// row = act(row + bias) for `rows` rows of `cols` values, row r at y + r * ld:
// the BiasAdd kernel then the activation's, as one pass (bit for bit the same).
enum class BiasAct { kNone, kRelu, kRelu6, kLeakyRelu };
void BiasActivation(BiasAct act, float* y, int64_t ld, int64_t rows, int64_t cols,
                    const float* bias, float alpha = 0.f);

// y[i] = e^x[i] (x == y allowed): within 2 ulp of the exact value for
// every float, denormal results included (unless the thread flushes
// denormals); +inf above 88.72283, +0 below -103.97208 and for -inf, NaN
// for NaN.
void Exp(const float* x, float* y, int64_t n);

// Softmax (or, with log, LogSoftmax) of `rows` contiguous rows of `cols`
// values each, as TensorFlow computes them: m = max(row), e = exp(x - m),
// softmax = e * (1 / sum(e)), log softmax = (x - m) - log(sum(e)). x == y
// allowed. REQUIRES: cols > 0.
void SoftmaxRows(const float* x, float* y, int64_t rows, int64_t cols, bool log);

}  // namespace savedmodel::kernels::f32
