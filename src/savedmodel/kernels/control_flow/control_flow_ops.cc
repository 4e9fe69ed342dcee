// TF1 control-flow ops. What makes them control flow (dead outputs, frames
// and iterations) is the executor's work (exec/frame_executor.h); these
// kernels compute the values: Switch sets only the output its predicate
// picks (the executor reads the unset one as dead), Merge forwards the one
// live input it was run with and its index, and Enter, Exit, NextIteration and
// LoopCond forward their input into the frame the executor routes it to.
#include "savedmodel/kernels/kernel.h"

namespace savedmodel {
namespace {

// A ref input stays a ref through the Ref* forms (not registered yet: they
// need reference-typed TF-compared cases); the others read it.
void Forward(OpKernelContext* ctx, int input, int output, bool keep_ref) {
  if (ctx->input_resource(input)) {
    ctx->set_output_resource(output, ctx->input_resource(input));
  } else if (keep_ref && ctx->input_ref(input)) {
    ctx->set_output_ref(output, ctx->input_ref(input));
  } else {
    ctx->set_output(output, ctx->input(input));
  }
}

bool IsRefOp(const OpKernelConstruction& c) { return c.def().op().rfind("Ref", 0) == 0; }

class SwitchKernel : public OpKernel {
 public:
  SwitchKernel(const OpKernelConstruction& c, Status*) : keep_ref_(IsRefOp(c)) {}
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor pred = ctx->input(1);
    if (pred.dtype() != DT_BOOL || pred.rank() != 0) {
      return ctx->InvalidArg("The second input must be a scalar, but it has shape " +
                             pred.shape().DebugString());
    }
    Forward(ctx, 0, pred.scalar<bool>() ? 1 : 0, keep_ref_);
    return Status::OK();
  }

 private:
  bool keep_ref_;
};
REGISTER_KERNEL("Switch", SwitchKernel);

class MergeKernel : public OpKernel {
 public:
  MergeKernel(const OpKernelConstruction& c, Status*) : keep_ref_(IsRefOp(c)) {}
  Status Compute(OpKernelContext* ctx) const override {
    for (int i = 0; i < ctx->num_inputs(); ++i) {
      const bool live = ctx->input_resource(i) || ctx->input_ref(i) || ctx->input(i).IsInitialized();
      if (!live) continue;
      Forward(ctx, i, 0, keep_ref_);
      ctx->set_output(1, Tensor::Scalar<int32_t>(i));
      return Status::OK();
    }
    return ctx->Error("run with no live input");
  }

 private:
  bool keep_ref_;
};
REGISTER_KERNEL("Merge", MergeKernel);

class FrameForwardKernel : public OpKernel {
 public:
  FrameForwardKernel(const OpKernelConstruction& c, Status*) : keep_ref_(IsRefOp(c)) {}
  Status Compute(OpKernelContext* ctx) const override {
    Forward(ctx, 0, 0, keep_ref_);
    return Status::OK();
  }

 private:
  bool keep_ref_;
};
REGISTER_KERNEL("Enter", FrameForwardKernel);
REGISTER_KERNEL("Exit", FrameForwardKernel);
REGISTER_KERNEL("NextIteration", FrameForwardKernel);
REGISTER_KERNEL("LoopCond", FrameForwardKernel);

}  // namespace
}  // namespace savedmodel
