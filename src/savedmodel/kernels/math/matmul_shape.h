// The operand checks and product shape that MatMul and _FusedMatMul share,
// with TensorFlow's messages.
#pragma once

#include <cstdint>
#include <utility>

#include "savedmodel/kernels/kernel.h"

namespace savedmodel::kernels {

struct MatMulDims {
  int64_t m = 0, k = 0, n = 0;
  TensorShape out;  // [m, n]
};

// a is [m, k] ([k, m] when ta), b is [k, n] ([n, k] when tb).
inline StatusOr<MatMulDims> MatMulShape(const OpKernelContext& ctx, const Tensor& a, const Tensor& b,
                                        bool ta, bool tb) {
  if (a.rank() != 2 || b.rank() != 2) {
    return ctx.InvalidArg("In[0] and In[1] must be matrices, got shapes " + a.shape().DebugString() +
                          " and " + b.shape().DebugString());
  }
  MatMulDims d;
  d.m = a.dim(ta ? 1 : 0);
  d.k = a.dim(ta ? 0 : 1);
  d.n = b.dim(tb ? 0 : 1);
  if (d.k != b.dim(tb ? 1 : 0)) {
    return ctx.InvalidArg("Matrix size-incompatible: In[0]: " + a.shape().DebugString() +
                          ", In[1]: " + b.shape().DebugString());
  }
  // [2^40, 0] x [0, 2^40] is valid input whose product shape is not. The dims
  // go in from the stack and the shape is moved, not copied: its vector is
  // the one heap allocation here.
  const int64_t out_dims[2] = {d.m, d.n};
  auto shape = TensorShape::FromDims(out_dims);
  if (!shape.ok()) return ctx.InvalidArg(shape.status().message());
  d.out = std::move(shape).value();
  return d;
}

}  // namespace savedmodel::kernels
