// Graph plumbing: Const, Identity and friends, NoOp, Placeholder.
#include "savedmodel/kernels/kernel.h"

namespace savedmodel {
namespace {

// Const: outputs its `value` attr, decoded once at load time. A graph node
// carries it decoded (Node::const_value) and the kernel shares that buffer
// rather than decode a second copy; a Node built by hand decodes from its def.
class ConstKernel : public OpKernel {
 public:
  ConstKernel(const OpKernelConstruction& c, Status* s) {
    if (c.node().const_value.has_value()) {
      value_ = *c.node().const_value;
    } else if (!c.HasAttr("value")) {
      *s = c.Error("Const node has a constant tensor but no value has been provided");
      return;
    } else {
      *s = c.GetAttr("value", &value_);
    }
    if (s->ok() && value_.dtype() != c.output_types()[0]) {
      *s = c.Error("value has type " + DataTypeString(value_.dtype()) + " but dtype is " +
                   DataTypeString(c.output_types()[0]));
    }
  }
  Status Compute(OpKernelContext* ctx) const override {
    ctx->set_output(0, value_);
    return Status::OK();
  }

 private:
  Tensor value_;
};
REGISTER_KERNEL("Const", ConstKernel);

// Identity-like ops forward every input to the same-numbered output unchanged
// (a ref input is read, as when TensorFlow feeds a ref into a value input).
class ForwardKernel : public OpKernel {
 public:
  ForwardKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    for (int i = 0; i < ctx->num_inputs(); ++i) {
      if (ctx->input_resource(i)) {
        ctx->set_output_resource(i, ctx->input_resource(i));
      } else {
        ctx->set_output(i, ctx->input(i));
      }
    }
    return Status::OK();
  }
};
REGISTER_KERNEL("Identity", ForwardKernel);
REGISTER_KERNEL("IdentityN", ForwardKernel);
REGISTER_KERNEL("StopGradient", ForwardKernel);
REGISTER_KERNEL("PreventGradient", ForwardKernel);
REGISTER_KERNEL("Snapshot", ForwardKernel);
REGISTER_KERNEL("PlaceholderWithDefault", ForwardKernel);

// RefIdentity passes the reference itself on.
class RefIdentityKernel : public OpKernel {
 public:
  RefIdentityKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    if (ctx->input_ref(0)) {
      ctx->set_output_ref(0, ctx->input_ref(0));
    } else {
      ctx->set_output(0, ctx->input(0));
    }
    return Status::OK();
  }
};
REGISTER_KERNEL("RefIdentity", RefIdentityKernel);

class NoOpKernel : public OpKernel {
 public:
  NoOpKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext*) const override { return Status::OK(); }
};
REGISTER_KERNEL("NoOp", NoOpKernel);

// A Placeholder only runs when nobody fed it: that is the caller's error.
class PlaceholderKernel : public OpKernel {
 public:
  PlaceholderKernel(const OpKernelConstruction& c, Status*) : dtype_(c.output_types()[0]) {}
  Status Compute(OpKernelContext* ctx) const override {
    return InvalidArgument("You must feed a value for placeholder tensor '" + ctx->node().name() +
                           "' with dtype " + DataTypeString(dtype_));
  }

 private:
  DataType dtype_;
};
REGISTER_KERNEL("Placeholder", PlaceholderKernel);
REGISTER_KERNEL("PlaceholderV2", PlaceholderKernel);

}  // namespace
}  // namespace savedmodel
