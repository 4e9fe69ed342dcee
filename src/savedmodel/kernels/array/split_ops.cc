// Split and SplitV: pieces of a tensor along one axis.
//   Split(axis, value), attr num_split: num_split equal pieces.
//   SplitV(value, size_splits, axis): pieces of the given sizes; one size may
//   be -1, meaning whatever remains.
// Every piece is a copy of `outer` runs of `size * inner` elements.
#include <string>
#include <vector>

#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

StatusOr<int> Axis(OpKernelContext* ctx, const Tensor& axis_t, int rank) {
  if (axis_t.num_elements() != 1) return ctx->InvalidArg("axis must be a scalar");
  ASSIGN_OR_RETURN(std::vector<int64_t> a, IntValues(axis_t));
  if (a[0] < -rank || a[0] >= rank) {
    return ctx->InvalidArg("-input rank(-" + std::to_string(rank) + ") <= split_dim < input rank (" +
                           std::to_string(rank) + "), but got " + std::to_string(a[0]));
  }
  return static_cast<int>(a[0] < 0 ? a[0] + rank : a[0]);
}

Status WritePieces(OpKernelContext* ctx, const Tensor& x, int axis, const std::vector<int64_t>& sizes) {
  std::vector<int64_t> dims = x.shape().dims();
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= dims[d];
  for (size_t d = axis + 1; d < dims.size(); ++d) inner *= dims[d];
  const int64_t total = dims[axis];
  return VisitBySize(x.dtype(), [&](auto tag) -> Status {
    using E = decltype(tag);
    const E* in = static_cast<const E*>(x.raw_data());
    int64_t start = 0;
    for (size_t k = 0; k < sizes.size(); ++k) {
      dims[axis] = sizes[k];
      ASSIGN_OR_RETURN(TensorShape shape, ShapeFrom(dims));
      Tensor* out = ctx->allocate_output(static_cast<int>(k), x.dtype(), shape);
      E* y = static_cast<E*>(out->raw_data());
      const int64_t run = sizes[k] * inner;
      for (int64_t o = 0; o < outer; ++o) CopyN(in + (o * total + start) * inner, y + o * run, run);
      start += sizes[k];
    }
    return Status();
  });
}

class SplitKernel : public OpKernel {
 public:
  SplitKernel(const OpKernelConstruction& c, Status* s) { *s = c.GetAttr("num_split", &num_); }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(1);
    if (x.rank() == 0) return ctx->InvalidArg("cannot split a scalar");
    ASSIGN_OR_RETURN(int axis, Axis(ctx, ctx->input(0), x.rank()));
    if (num_ <= 0 || x.dim(axis) % num_ != 0) {
      return ctx->InvalidArg("Number of ways to split should evenly divide the split dimension, but got split_dim " +
                             std::to_string(axis) + " (size = " + std::to_string(x.dim(axis)) + ") and num_split " +
                             std::to_string(num_));
    }
    return WritePieces(ctx, x, axis, std::vector<int64_t>(num_, x.dim(axis) / num_));
  }

 private:
  int64_t num_ = 1;
};
REGISTER_KERNEL("Split", SplitKernel);

class SplitVKernel : public OpKernel {
 public:
  SplitVKernel(const OpKernelConstruction& c, Status* s) { *s = c.GetAttr("num_split", &num_); }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(0);
    if (x.rank() == 0) return ctx->InvalidArg("cannot split a scalar");
    ASSIGN_OR_RETURN(int axis, Axis(ctx, ctx->input(2), x.rank()));
    ASSIGN_OR_RETURN(std::vector<int64_t> sizes, IntValues(ctx->input(1)));
    if (static_cast<int64_t>(sizes.size()) != num_) {
      return ctx->InvalidArg("size_splits has " + std::to_string(sizes.size()) + " values, num_split is " +
                             std::to_string(num_));
    }
    int unknown = -1;
    int64_t known = 0;
    for (size_t k = 0; k < sizes.size(); ++k) {
      if (sizes[k] == -1) {
        if (unknown >= 0) return ctx->InvalidArg("There can only be one -1 in the input.");
        unknown = static_cast<int>(k);
      } else if (sizes[k] < 0) {
        return ctx->InvalidArg("Split sizes must be non-negative, got " + std::to_string(sizes[k]));
      } else {
        known += sizes[k];
        if (known > x.dim(axis)) break;
      }
    }
    const int64_t total = x.dim(axis);
    if (unknown >= 0 && known <= total) sizes[unknown] = total - known;
    if ((unknown < 0 && known != total) || known > total) {
      return ctx->InvalidArg("Determined shape must either match input shape along split_dim exactly if fully "
                             "specified, or be less than the size of the input along split_dim if not fully "
                             "specified.  Got: " + std::to_string(known));
    }
    return WritePieces(ctx, x, axis, sizes);
  }

 private:
  int64_t num_ = 1;
};
REGISTER_KERNEL("SplitV", SplitVKernel);

}  // namespace
}  // namespace savedmodel::kernels
