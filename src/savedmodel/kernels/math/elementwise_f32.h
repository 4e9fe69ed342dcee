// Float32 elementwise loops compiled once per SimdLevel (base/cpu_features.h)
// and picked at run time: the hot paths of the binary ops, BiasAdd, the Relu
// family and Softmax. Every function gives bit for bit what the scalar
// expression in the op's kernel gives (the math is one IEEE operation or a
// comparison per element), so the kernels keep their generic loops as the
// reference these are tested against.
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

}  // namespace savedmodel::kernels::f32
