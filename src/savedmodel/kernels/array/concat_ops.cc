// Joining and splitting along one axis.
//   Pack:     N x [d0..dn] -> [d0.., N (at axis), ..dn]
//   Unpack:   [d0.., num (at axis), ..dn] -> num x [d0..dn without axis]
//   ConcatV2: N x [.., ai, ..], axis (last input) -> [.., sum ai, ..]
//   Concat:   concat_dim (first input), N x [...]
// All are "outer x inner" block copies: for each index of the dims before the
// axis, each input contributes one contiguous block.
#include <string>
#include <vector>

#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

// out = for o in outer: concat_k(in_k[o * block_k : (o+1) * block_k]).
Status JoinBlocks(const std::vector<Tensor>& ins, const std::vector<int64_t>& blocks, int64_t outer,
                  Tensor* out) {
  return VisitBySize(out->dtype(), [&](auto tag) -> Status {
    using E = decltype(tag);
    E* y = static_cast<E*>(out->raw_data());
    for (int64_t o = 0; o < outer; ++o) {
      for (size_t k = 0; k < ins.size(); ++k) {
        const E* x = static_cast<const E*>(ins[k].raw_data());
        CopyN(x + o * blocks[k], y, blocks[k]);
        y += blocks[k];
      }
    }
    return Status();
  });
}

class PackKernel : public OpKernel {
 public:
  PackKernel(const OpKernelConstruction& c, Status* s) {
    *s = c.GetAttr("axis", &axis_);
    if (s->ok() && c.input_types()[0] == DT_INVALID) *s = c.UnsupportedType(DT_INVALID);
  }
  Status Compute(OpKernelContext* ctx) const override {
    const int n = ctx->num_inputs();
    std::vector<Tensor> ins;
    for (int i = 0; i < n; ++i) ins.push_back(ctx->input(i));
    const TensorShape& shape = ins[0].shape();
    const int rank = shape.rank() + 1;
    int64_t axis = axis_;
    if (axis < -rank || axis >= rank) {
      return ctx->InvalidArg("axis = " + std::to_string(axis_) + " not in [" +
                             std::to_string(-rank) + ", " + std::to_string(rank) + ")");
    }
    if (axis < 0) axis += rank;
    for (int i = 1; i < n; ++i) {
      if (!(ins[i].shape() == shape)) {
        return ctx->InvalidArg("Shapes of all inputs must match: values[0].shape = " +
                               shape.DebugString() + " != values[" + std::to_string(i) +
                               "].shape = " + ins[i].shape().DebugString());
      }
    }
    std::vector<int64_t> dims = shape.dims();
    int64_t outer = 1;
    for (int d = 0; d < axis; ++d) outer *= dims[d];
    dims.insert(dims.begin() + axis, n);
    ASSIGN_OR_RETURN(TensorShape out_shape, ShapeFrom(dims));
    Tensor* out = ctx->allocate_output(0, ins[0].dtype(), out_shape);
    const int64_t block = outer == 0 ? 0 : shape.num_elements() / outer;
    return JoinBlocks(ins, std::vector<int64_t>(n, block), outer, out);
  }

 private:
  int64_t axis_ = 0;
};

class UnpackKernel : public OpKernel {
 public:
  UnpackKernel(const OpKernelConstruction& c, Status* s) : num_(c.node().num_outputs()) {
    *s = c.GetAttr("axis", &axis_);
  }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(0);
    const int rank = x.rank();
    int64_t axis = axis_;
    if (axis < -rank || axis >= rank) {
      return ctx->InvalidArg("axis = " + std::to_string(axis_) + " not in [" +
                             std::to_string(-rank) + ", " + std::to_string(rank) + ")");
    }
    if (axis < 0) axis += rank;
    if (x.dim(static_cast<int>(axis)) != num_) {
      return ctx->InvalidArg("Input shape axis " + std::to_string(axis) + " must equal " +
                             std::to_string(num_) + ", got shape " + x.shape().DebugString());
    }
    std::vector<int64_t> dims = x.shape().dims();
    int64_t outer = 1;
    for (int d = 0; d < axis; ++d) outer *= dims[d];
    dims.erase(dims.begin() + axis);
    ASSIGN_OR_RETURN(TensorShape piece, ShapeFrom(dims));
    const int64_t block = outer == 0 ? 0 : piece.num_elements() / outer;
    return VisitBySize(x.dtype(), [&](auto tag) -> Status {
      using E = decltype(tag);
      const E* in = static_cast<const E*>(x.raw_data());
      for (int k = 0; k < num_; ++k) {
        Tensor* out = ctx->allocate_output(k, x.dtype(), piece);
        E* y = static_cast<E*>(out->raw_data());
        for (int64_t o = 0; o < outer; ++o) CopyN(in + (o * num_ + k) * block, y + o * block, block);
      }
      return Status();
    });
  }

 private:
  int num_;
  int64_t axis_ = 0;
};

class ConcatKernel : public OpKernel {
 public:
  ConcatKernel(const OpKernelConstruction& c, Status* s) : v2_(c.node().op() == "ConcatV2") {}
  Status Compute(OpKernelContext* ctx) const override {
    const int n = ctx->num_inputs() - 1;
    const int axis_input = v2_ ? n : 0;
    const int first = v2_ ? 0 : 1;
    const Tensor axis_t = ctx->input(axis_input);
    if (axis_t.num_elements() != 1) {
      return ctx->InvalidArg("Concat dim tensor should be a scalar, but got shape " +
                             axis_t.shape().DebugString());
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> axis_v, IntValues(axis_t));
    std::vector<Tensor> ins;
    for (int i = 0; i < n; ++i) ins.push_back(ctx->input(first + i));
    const TensorShape& s0 = ins[0].shape();
    const int rank = s0.rank();
    int64_t axis = axis_v[0];
    if (axis < -rank || axis >= rank || rank == 0) {
      return ctx->InvalidArg("ConcatOp : Expected concatenating dimensions in the range [" +
                             std::to_string(-rank) + ", " + std::to_string(rank) +
                             "), but got " + std::to_string(axis));
    }
    if (axis < 0) axis += rank;
    std::vector<int64_t> dims = s0.dims();
    dims[axis] = 0;
    for (int i = 0; i < n; ++i) {
      const TensorShape& si = ins[i].shape();
      if (si.rank() != rank) {
        return ctx->InvalidArg("ConcatOp : Ranks of all input tensors should match: shape[0] = " +
                               s0.DebugString() + " vs. shape[" + std::to_string(i) +
                               "] = " + si.DebugString());
      }
      for (int d = 0; d < rank; ++d) {
        if (d != axis && si.dim(d) != s0.dim(d)) {
          return ctx->InvalidArg("ConcatOp : Dimension " + std::to_string(d) +
                                 " in both shapes must be equal: shape[0] = " + s0.DebugString() +
                                 " vs. shape[" + std::to_string(i) + "] = " + si.DebugString());
        }
      }
      dims[axis] += si.dim(static_cast<int>(axis));
    }
    int64_t outer = 1;
    for (int d = 0; d < axis; ++d) outer *= dims[d];
    ASSIGN_OR_RETURN(TensorShape out_shape, ShapeFrom(dims));
    Tensor* out = ctx->allocate_output(0, ins[0].dtype(), out_shape);
    std::vector<int64_t> blocks;
    for (const Tensor& t : ins) blocks.push_back(outer == 0 ? 0 : t.num_elements() / outer);
    return JoinBlocks(ins, blocks, outer, out);
  }

 private:
  bool v2_;
};

REGISTER_KERNEL("Pack", PackKernel);
REGISTER_KERNEL("Unpack", UnpackKernel);
REGISTER_KERNEL("ConcatV2", ConcatKernel);
REGISTER_KERNEL("Concat", ConcatKernel);

}  // namespace
}  // namespace savedmodel::kernels
