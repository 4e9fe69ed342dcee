// Fill: dims: [k], value: [] -> dims        ZerosLike / OnesLike: x -> same shape
#include <algorithm>
#include <string>
#include <vector>

#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

class FillKernel : public OpKernel {
 public:
  FillKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor dims_t = ctx->input(0), value = ctx->input(1);
    if (dims_t.rank() != 1) {
      return ctx->InvalidArg("dims must be a vector, got shape " + dims_t.shape().DebugString());
    }
    if (value.rank() != 0) {
      return ctx->InvalidArg("value must be a scalar, got shape " + value.shape().DebugString());
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> dims, IntValues(dims_t));
    auto shape = ShapeFrom(dims);
    if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
    Tensor* out = ctx->allocate_output(0, value.dtype(), *shape);
    return VisitBySize(value.dtype(), [&](auto tag) -> Status {
      using E = decltype(tag);
      const E v = *static_cast<const E*>(value.raw_data());
      E* y = static_cast<E*>(out->raw_data());
      std::fill(y, y + out->num_elements(), v);
      return Status();
    });
  }
};

class ZerosLikeKernel : public OpKernel {
 public:
  ZerosLikeKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(0);
    ctx->allocate_output(0, x.dtype(), x.shape());  // tensors start zeroed
    return Status();
  }
};

class OnesLikeKernel : public OpKernel {
 public:
  OnesLikeKernel(const OpKernelConstruction& c, Status* s) : dtype_(c.input_types()[0]) {
    *s = VisitType(dtype_, [&](auto tag) -> Status {
      using T = decltype(tag);
      if constexpr (kIsNumber<T> || std::is_same_v<T, bool>) return Status();
      else return c.UnsupportedType(dtype_);
    });
  }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(0);
    Tensor* out = ctx->allocate_output(0, dtype_, x.shape());
    return VisitType(dtype_, [&](auto tag) -> Status {
      using T = decltype(tag);
      if constexpr (kIsNumber<T> || std::is_same_v<T, bool>) {
        auto y = out->flat<T>();
        std::fill(y.begin(), y.end(), ConvertElement<T>(1));
      }
      return Status();
    });
  }

 private:
  DataType dtype_;
};

REGISTER_KERNEL("Fill", FillKernel);
REGISTER_KERNEL("ZerosLike", ZerosLikeKernel);
REGISTER_KERNEL("OnesLike", OnesLikeKernel);

}  // namespace
}  // namespace savedmodel::kernels
