// Ops that read or change only a tensor's shape. Reshape, ExpandDims and
// Squeeze share the input's buffer (strings included).
//   Shape: x -> [rank] (out_type)        Size: x -> [] (out_type)    Rank: x -> [] int32
//   Reshape: x, shape: [k] -> shape (one -1 inferred)
//   ExpandDims: x, dim: [] -> x's shape with a 1 inserted at dim
//   Squeeze: x -> x's shape without the 1s (all, or those in squeeze_dims)
#include <string>
#include <vector>

#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

Status CheckIntOut(const OpKernelConstruction& c, DataType dt) {
  return dt == DT_INT32 || dt == DT_INT64 ? Status() : c.UnsupportedType(dt);
}

class ShapeKernel : public OpKernel {
 public:
  ShapeKernel(const OpKernelConstruction& c, Status* s) : out_type_(c.output_types()[0]) {
    *s = CheckIntOut(c, out_type_);
  }
  Status Compute(OpKernelContext* ctx) const override {
    for (int i = 0; i < ctx->num_inputs(); ++i) {
      const Tensor x = ctx->input(i);
      const int64_t rank = x.rank();
      ctx->set_output(i, IntTensor(out_type_, x.shape().dims(), TensorShape{rank}));
    }
    return Status();
  }

 private:
  DataType out_type_;
};

class SizeKernel : public OpKernel {
 public:
  SizeKernel(const OpKernelConstruction& c, Status* s) : out_type_(c.output_types()[0]) {
    *s = CheckIntOut(c, out_type_);
  }
  Status Compute(OpKernelContext* ctx) const override {
    const int64_t n = ctx->input(0).num_elements();
    if (out_type_ == DT_INT32 && n > INT32_MAX) {
      return ctx->InvalidArg("Number of elements was larger than representable by 32-bit output "
                             "type");
    }
    ctx->set_output(0, IntTensor(out_type_, {n}, TensorShape{}));
    return Status();
  }

 private:
  DataType out_type_;
};

class RankKernel : public OpKernel {
 public:
  RankKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    ctx->set_output(0, Tensor::Scalar<int32_t>(ctx->input(0).rank()));
    return Status();
  }
};

class ReshapeKernel : public OpKernel {
 public:
  ReshapeKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(0), shape_t = ctx->input(1);
    if (shape_t.rank() > 1) {
      return ctx->InvalidArg("sizes input must be 1-D, not " + shape_t.shape().DebugString());
    }
    auto sizes = IntValues(shape_t);
    if (!sizes.ok()) return ctx->InvalidArg(sizes.status().message());
    std::vector<int64_t> dims = *sizes;
    int unknown = -1;
    int64_t product = 1;
    bool has_zero_dim = false;
    for (size_t d = 0; d < dims.size(); ++d) {
      if (dims[d] == -1) {
        if (unknown >= 0) {
          return ctx->InvalidArg("Only one input size may be -1, not both " +
                                 std::to_string(unknown) + " and " + std::to_string(d));
        }
        unknown = static_cast<int>(d);
      } else if (dims[d] < 0) {
        return ctx->InvalidArg("Size " + std::to_string(d) + " must be non-negative, not " +
                               std::to_string(dims[d]));
      } else if (dims[d] == 0) {
        has_zero_dim = true;  // left out of `product`, as TensorFlow does
      } else {
        if (product > kMaxTensorElements / dims[d]) {
          return ctx->InvalidArg("Requested shape is too large: " + shape_t.DebugString());
        }
        product *= dims[d];
      }
    }
    const int64_t n = x.num_elements();
    if (unknown >= 0) {
      // TensorFlow infers the -1 from the input's non-zero dims when the
      // requested shape has a zero dim, so [0, -1] of a [0, 3] input is [0, 3].
      int64_t known = 1;
      for (int64_t d : x.shape().dims()) {
        if (d > 0 || !has_zero_dim) known *= d;
      }
      const int64_t missing = known / product;
      if (missing * product != known) {
        return ctx->InvalidArg("Input to reshape is a tensor with " + std::to_string(n) +
                               " values, but the requested shape requires a multiple of " +
                               std::to_string(product));
      }
      dims[unknown] = missing;
      product *= missing;
    }
    if (has_zero_dim) product = 0;
    if (product != n) {
      return ctx->InvalidArg("Input to reshape is a tensor with " + std::to_string(n) +
                             " values, but the requested shape has " + std::to_string(product));
    }
    auto shape = ShapeFrom(dims);
    if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
    ASSIGN_OR_RETURN(Tensor out, x.Reshaped(*shape));
    ctx->set_output(0, std::move(out));
    return Status();
  }
};

class ExpandDimsKernel : public OpKernel {
 public:
  ExpandDimsKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(0), dim_t = ctx->input(1);
    if (dim_t.num_elements() != 1) {
      return ctx->InvalidArg("'dim' must be a tensor with a single value");
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> dim_v, IntValues(dim_t));
    const int64_t rank = x.rank();
    int64_t dim = dim_v[0];
    if (dim < -1 - rank || dim > rank) {
      return ctx->InvalidArg("Tried to expand dim index " + std::to_string(dim) +
                             " for tensor with " + std::to_string(rank) + " dimensions.");
    }
    if (dim < 0) dim += rank + 1;
    std::vector<int64_t> dims = x.shape().dims();
    dims.insert(dims.begin() + dim, 1);
    ASSIGN_OR_RETURN(TensorShape shape, ShapeFrom(dims));
    ASSIGN_OR_RETURN(Tensor out, x.Reshaped(shape));
    ctx->set_output(0, std::move(out));
    return Status();
  }
};

class SqueezeKernel : public OpKernel {
 public:
  SqueezeKernel(const OpKernelConstruction& c, Status* s) {
    if (c.HasAttr("squeeze_dims")) *s = c.GetAttr("squeeze_dims", &squeeze_dims_);
  }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(0);
    const int rank = x.rank();
    std::vector<bool> drop(rank, squeeze_dims_.empty());
    for (int64_t d : squeeze_dims_) {
      if (d < -rank || d >= rank) {
        return ctx->InvalidArg("Tried to squeeze dim index " + std::to_string(d) +
                               " for tensor with " + std::to_string(rank) + " dimensions.");
      }
      drop[d < 0 ? d + rank : d] = true;
    }
    std::vector<int64_t> dims;
    for (int d = 0; d < rank; ++d) {
      const int64_t n = x.dim(d);
      if (drop[d] && n == 1) continue;
      if (drop[d] && !squeeze_dims_.empty()) {
        return ctx->InvalidArg("Can not squeeze dim[" + std::to_string(d) +
                               "], expected a dimension of 1, got " + std::to_string(n));
      }
      dims.push_back(n);
    }
    ASSIGN_OR_RETURN(TensorShape shape, ShapeFrom(dims));
    ASSIGN_OR_RETURN(Tensor out, x.Reshaped(shape));
    ctx->set_output(0, std::move(out));
    return Status();
  }

 private:
  std::vector<int64_t> squeeze_dims_;
};

REGISTER_KERNEL("Shape", ShapeKernel);
REGISTER_KERNEL("ShapeN", ShapeKernel);
REGISTER_KERNEL("Size", SizeKernel);
REGISTER_KERNEL("Rank", RankKernel);
REGISTER_KERNEL("Reshape", ReshapeKernel);
REGISTER_KERNEL("ExpandDims", ExpandDimsKernel);
REGISTER_KERNEL("Squeeze", SqueezeKernel);

}  // namespace
}  // namespace savedmodel::kernels
