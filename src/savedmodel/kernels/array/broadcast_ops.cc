// Broadcasting as ops.
//   BroadcastTo(input, shape) -> input repeated to `shape` (numpy rules; the
//       result must be `shape` itself).
//   BroadcastArgs(s0, s1) -> the broadcast shape of two shape vectors.
#include <string>
#include <vector>

#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/broadcast.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

StatusOr<TensorShape> ShapeOf(OpKernelContext* ctx, const Tensor& t, const char* what) {
  if (t.rank() != 1) return ctx->InvalidArg(std::string(what) + " must be a vector, got " + t.shape().DebugString());
  ASSIGN_OR_RETURN(std::vector<int64_t> dims, IntValues(t));
  auto shape = TensorShape::FromDims(dims);
  if (!shape.ok()) return ctx->InvalidArg(std::string(what) + ": " + shape.status().message());
  return shape;
}

class BroadcastToKernel : public OpKernel {
 public:
  BroadcastToKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor in = ctx->input(0);
    ASSIGN_OR_RETURN(TensorShape target, ShapeOf(ctx, ctx->input(1), "shape"));
    auto b = BroadcastShape(in.shape(), target);
    if (!b.ok() || !(*b == target)) {
      return ctx->InvalidArg("Unable to broadcast tensor of shape " + in.shape().DebugString() +
                             " to tensor of shape " + target.DebugString());
    }
    ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(in.dtype(), target));
    ASSIGN_OR_RETURN(BroadcastPlan plan, MakeBroadcastPlan({in.shape(), target}));
    RETURN_IF_ERROR(VisitBySize(in.dtype(), [&](auto tag) -> Status {
      using E = decltype(tag);
      const E* x = static_cast<const E*>(in.raw_data());
      E* y = static_cast<E*>(out.raw_data());
      ForEachBroadcast(plan, 0, out.num_elements(), [&](int64_t i, const auto& off) { y[i] = x[off[0]]; });
      return Status::OK();
    }));
    ctx->set_output(0, std::move(out));
    return Status::OK();
  }
};
REGISTER_KERNEL("BroadcastTo", BroadcastToKernel);

class BroadcastArgsKernel : public OpKernel {
 public:
  BroadcastArgsKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(TensorShape a, ShapeOf(ctx, ctx->input(0), "s0"));
    ASSIGN_OR_RETURN(TensorShape b, ShapeOf(ctx, ctx->input(1), "s1"));
    auto shape = BroadcastShape(a, b);
    if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
    ctx->set_output(0, IntTensor(ctx->input(0).dtype(), shape->dims(), TensorShape{shape->rank()}));
    return Status::OK();
  }
};
REGISTER_KERNEL("BroadcastArgs", BroadcastArgsKernel);

}  // namespace
}  // namespace savedmodel::kernels
